//! `veris model add | list | show | get | rm | compile | pin | vk`.

use std::path::Path;

use serde_json::json;
use veris_core::api::ModelList;
use veris_node::AddModel;

use crate::args::{AddArgs, CompileArgs, ModelCommand, PinArgs};
use crate::backend::Backend;
use crate::exit::bad_input;
use crate::files::{read_json, write_atomic};
use crate::output::{Printer, model_details, model_table};
use crate::progress::with_progress;

pub fn run(backend: &dyn Backend, cmd: ModelCommand, out: Printer) -> anyhow::Result<()> {
    match cmd {
        ModelCommand::Add(args) => add(backend, args, out),
        ModelCommand::List => {
            let list = ModelList {
                models: backend.list_models()?,
            };
            out.emit(&list, || model_table(&list.models))
        }
        ModelCommand::Show(r) => {
            let record = backend.show_model(&r.reference)?;
            out.emit(&record, || model_details(&record))
        }
        ModelCommand::Get(args) => {
            let record = backend.download_model(&args.model.reference, &args.output)?;
            let doc = json!({"model": record, "path": args.output, "size": record.size});
            out.emit(&doc, || {
                format!(
                    "wrote {} ({} bytes, {}) to {}",
                    record.reference(),
                    record.size,
                    record.id,
                    args.output.display()
                )
            })
        }
        ModelCommand::Compile(args) => compile(backend, args, out),
        ModelCommand::Pin(args) => pin(backend, args, out),
        ModelCommand::Vk(args) => {
            let (id, bytes) = backend.verifying_key(&args.model.reference)?;
            if let Some(path) = &args.out {
                write_atomic(path, &bytes)?;
            }
            let doc =
                json!({"model": args.model.reference, "verifying_key": id, "size": bytes.len(), "path": args.out});
            out.emit(&doc, || {
                let written = match &args.out {
                    Some(path) => format!(", written to {}", path.display()),
                    None => String::new(),
                };
                format!("verifying key {id} ({} bytes){written}", bytes.len())
            })
        }
        ModelCommand::Rm(r) => {
            let removed = backend.remove_model(&r.reference)?;
            let text = removed
                .iter()
                .map(|m| format!("removed {} {}", m.reference(), m.id))
                .collect::<Vec<_>>()
                .join("\n");
            out.emit(&ModelList { models: removed }, || text)
        }
    }
}

fn add(backend: &dyn Backend, args: AddArgs, out: Printer) -> anyhow::Result<()> {
    let name = match args.name {
        Some(name) => name,
        None => default_name(&args.file)?,
    };
    let req = AddModel {
        name,
        version: args.version,
        description: args.description,
    };
    let added = backend.add_model(&args.file, req)?;
    if !out.is_json() {
        let what = if added.created { "added" } else { "already present:" };
        eprintln!("{what} {} ({} bytes)", added.model.reference(), added.model.size);
    }
    out.emit(&added, || added.id.to_string())
}

/// The file name without its extension, the default model name.
fn default_name(file: &Path) -> anyhow::Result<String> {
    file.file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            bad_input(format!(
                "cannot derive a model name from {}; pass --name",
                file.display()
            ))
        })
}

fn compile(backend: &dyn Backend, args: CompileArgs, out: Printer) -> anyhow::Result<()> {
    let calibration = match &args.calibration {
        Some(path) => Some(read_json::<serde_json::Value>(path, "a calibration set (JSON)")?),
        None => None,
    };
    let req = veris_core::api::CompileRequest {
        calibration,
        bits: args.bits,
        name: args.name,
    };
    let compiled = with_progress("compiling (calibration, quantization, weight commitment)", || {
        backend.compile_model(&args.model.reference, req)
    })?;
    for warning in &compiled.warnings {
        eprintln!("warning: {warning}");
    }
    out.emit(&compiled, || {
        let mut text = format!(
            "{}\ncompiled {} (int{}) from {} as {}",
            compiled.id,
            compiled.source,
            compiled.bits,
            args.model.reference,
            compiled.model.reference()
        );
        if let Some(vk) = compiled.model.verifying_key {
            text.push_str(&format!(
                "\nweights committed for zero-knowledge proofs: verifying key {vk}"
            ));
        }
        text
    })
}

fn pin(backend: &dyn Backend, args: PinArgs, out: Printer) -> anyhow::Result<()> {
    let pinned = backend.pin_model(&args.id, args.name.as_deref())?;
    out.emit(&pinned, || {
        format!(
            "{}\npinned {} ({}, {} bytes)",
            pinned.id,
            pinned.model.reference(),
            pinned.model.format,
            pinned.model.size
        )
    })
}
