//! Constant folding, and what is known about each activation's axes.
//!
//! A node all of whose inputs are constants is evaluated once with the
//! float reference ([`eval_node`]) and becomes a constant; so does `Shape`
//! of an activation whose axes are all static. Folding runs in node order,
//! so chains such as `Shape → Gather → Unsqueeze → Concat → Reshape` fold
//! down to a constant `Reshape` target. When the shape has a symbolic axis
//! (a dynamic batch), the chain is followed symbolically ([`fold_sym`]) and
//! the Reshape still gets a constant target if `0` / `-1` can express it.
//! Nodes left without readers are then dropped.
//!
//! An axis is **static** when its size cannot depend on the symbolic
//! dimensions of the inputs ([`fold_sym::rule`], conservative). Static
//! sizes are read from the calibration run: they are the same for every
//! input.

use std::collections::{BTreeMap, BTreeSet};

use veris_core::Dim;

use super::ExactError;
use super::float_ref::eval_node;
use super::fold_sym::{self, AxisInfo, SymInts};
use super::ir::{Const, Graph, IrOp, Node};
use super::value_ops::shape_values;

/// A graph after folding, with the static axes of every activation.
#[derive(Debug, Clone)]
pub struct Folded {
    pub graph: Graph,
    /// Per activation (inputs and node outputs of float type), one flag per axis.
    pub static_axes: BTreeMap<String, Vec<bool>>,
}

/// Folds `graph`; `shapes` are the calibrated shapes of its float tensors.
pub fn fold(graph: &Graph, shapes: &BTreeMap<String, Vec<usize>>) -> Result<Folded, ExactError> {
    let mut consts: BTreeMap<String, Const> = BTreeMap::new();
    let mut axes: BTreeMap<String, Vec<AxisInfo>> = BTreeMap::new();
    let mut sym: BTreeMap<String, SymInts> = BTreeMap::new();
    let mut symbols: Vec<String> = Vec::new();
    for spec in &graph.inputs {
        let info = spec
            .shape
            .iter()
            .map(|d| match d {
                Dim::Fixed(_) => AxisInfo::Static,
                Dim::Symbol(s) => AxisInfo::Symbol(intern(&mut symbols, s)),
            })
            .collect();
        axes.insert(spec.name.clone(), info);
    }
    let mut nodes = Vec::new();
    for node in &graph.nodes {
        let error = |reason: String| ExactError::Unsupported {
            node: node.name.clone(),
            reason: format!("constant folding: {reason}"),
        };
        let is_const = |n: &String| n.is_empty() || consts.contains_key(n) || graph.consts.contains_key(n);
        if node.inputs.iter().all(is_const) {
            consts.insert(node.output.clone(), eval_node(graph, &consts, node).map_err(error)?);
            continue;
        }
        let mut node = node.clone();
        if let IrOp::Shape { start, end } = node.op {
            let x = &node.inputs[0];
            if let (Some(info), Some(shape)) = (axes.get(x), shapes.get(x)) {
                if info.iter().all(|&a| a == AxisInfo::Static) {
                    consts.insert(node.output.clone(), shape_values(shape, start, end));
                    continue;
                }
                sym.insert(node.output.clone(), fold_sym::shape_of(shape, info, start, end));
            }
        } else if node.inputs.iter().any(|i| sym.contains_key(i)) {
            if node.op == IrOp::Reshape && node.inputs.len() == 2 && !sym.contains_key(&node.inputs[0]) {
                let x_info = axes.get(&node.inputs[0]).cloned().unwrap_or_default();
                if let Some(target) = fold_sym::reshape_target(&sym[&node.inputs[1]], &x_info) {
                    // Internal names cannot clash with ONNX ones, which never contain NUL.
                    let name = format!("{}\0target", node.output);
                    let n = target.len();
                    consts.insert(
                        name.clone(),
                        Const::Int {
                            shape: vec![n],
                            data: target,
                        },
                    );
                    node.inputs[1] = name;
                }
            } else if let Some(v) = fold_sym::eval(&node, &|n| sym.get(n).cloned(), &|n| {
                consts.get(n).or_else(|| graph.consts.get(n)).cloned()
            }) {
                sym.insert(node.output.clone(), v);
            }
        }
        let rank = shapes.get(&node.output).map_or(0, Vec::len);
        // Calibrated shapes of activations, shapes of constants.
        let dims = |i: usize| {
            let name = node.inputs.get(i).map_or("", String::as_str);
            let konst = consts
                .get(name)
                .or_else(|| graph.consts.get(name))
                .map(|c| c.shape().to_vec());
            shapes.get(name).cloned().or(konst).unwrap_or_default()
        };
        let of = |i: usize| {
            let name = node.inputs.get(i).map_or("", String::as_str);
            axes.get(name)
                .cloned()
                .unwrap_or_else(|| vec![AxisInfo::Static; dims(i).len()])
        };
        let spec = node
            .inputs
            .get(1)
            .and_then(|n| match consts.get(n).or_else(|| graph.consts.get(n)) {
                Some(Const::Int { data, .. }) => Some(data.clone()),
                _ => None,
            });
        let info = fold_sym::rule(&node, &of, &dims, spec.as_deref(), rank);
        axes.insert(node.output.clone(), info);
        nodes.push(node);
    }
    let mut folded = graph.clone();
    folded.consts.extend(consts);
    folded.nodes = live_nodes(nodes, &graph.outputs);
    let static_axes = axes
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().map(|a| a == AxisInfo::Static).collect()))
        .collect();
    Ok(Folded {
        graph: folded,
        static_axes,
    })
}

fn intern(symbols: &mut Vec<String>, s: &str) -> usize {
    symbols.iter().position(|x| x == s).unwrap_or_else(|| {
        symbols.push(s.to_string());
        symbols.len() - 1
    })
}

/// The nodes whose outputs are read by a later live node or are graph
/// outputs (in order).
fn live_nodes(nodes: Vec<Node>, outputs: &[String]) -> Vec<Node> {
    let mut needed: BTreeSet<&str> = outputs.iter().map(String::as_str).collect();
    let mut live = vec![false; nodes.len()];
    for (i, n) in nodes.iter().enumerate().rev() {
        if needed.contains(n.output.as_str()) {
            live[i] = true;
            needed.extend(n.inputs.iter().map(String::as_str));
        }
    }
    nodes
        .into_iter()
        .zip(live)
        .filter(|(_, l)| *l)
        .map(|(n, _)| n)
        .collect()
}
