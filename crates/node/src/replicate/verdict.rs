//! Judging a replicated job's answers: the certified result, who agreed,
//! and fraud evidence against everyone who signed something else.
//!
//! The winning statement is the one signed by the most operators, if they
//! are at least the quorum and strictly more than any other group. The
//! reference for evidence is this node's own run of the job when it holds
//! the model (its signed replay: [`veris_core::fraud::Verdict::WrongOutput`]),
//! else one statement of the winning group (a
//! [`veris_core::fraud::Verdict::Disagreement`]).

use std::sync::Arc;

use veris_core::api_replicated::{EvidenceSummary, JobOutcome, OutcomeStatus};
use veris_core::fraud::FraudEvidence;
use veris_core::job::{JobStatement, SignedJob};
use veris_core::quorum::QuorumCertificate;
use veris_core::{Address, TensorMap};
use veris_net::NetHandle;

use super::dispatch::{Collected, Dispatch};
use super::job::JobResponse;
use crate::error::NodeError;
use crate::evidence::gossip_evidence;
use crate::service::Service;

/// The outcome of a job that reached its quorum.
#[derive(Debug)]
pub struct Judged {
    pub outputs: TensorMap,
    pub certificate: QuorumCertificate,
    pub outcomes: Vec<JobOutcome>,
    pub evidence: Vec<EvidenceSummary>,
}

/// Answers grouped by the statement they signed, largest group first.
fn group(answers: &[(Address, JobResponse)]) -> Vec<(JobStatement, Vec<usize>)> {
    let mut groups: Vec<(JobStatement, Vec<usize>)> = Vec::new();
    for (i, (_, answer)) in answers.iter().enumerate() {
        let statement = &answer.statement.statement;
        match groups.iter_mut().find(|(s, _)| s == statement) {
            Some((_, members)) => members.push(i),
            None => groups.push((statement.clone(), vec![i])),
        }
    }
    groups.sort_by_key(|(_, members)| std::cmp::Reverse(members.len()));
    groups
}

/// Stores evidence (verifying it first) and gossips it.
async fn record(
    service: &Arc<Service>,
    net: Option<&NetHandle>,
    piece: FraudEvidence,
) -> Result<EvidenceSummary, String> {
    let recorder = service.clone();
    let stored = piece.clone();
    let (id, verdict) = tokio::task::spawn_blocking(move || recorder.record_evidence(&stored))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    if let Some(net) = net {
        gossip_evidence(net, &piece);
    }
    Ok(EvidenceSummary { id, verdict })
}

/// Decides the job; records and gossips evidence against dissenters.
pub async fn judge(
    service: &Arc<Service>,
    net: &Option<NetHandle>,
    collected: Collected,
    quorum: usize,
    held: bool,
    dispatch: &Dispatch,
    inputs: Option<TensorMap>,
) -> Result<Judged, NodeError> {
    let answers = collected.answers;
    let groups = group(&answers);
    let winner = match groups.as_slice() {
        [(_, first), rest @ ..] if first.len() >= quorum && rest.first().is_none_or(|(_, r)| r.len() < first.len()) => {
            Some(groups[0].0.clone())
        }
        _ => None,
    };
    let dissent = groups.len() > 1 || (winner.is_none() && !groups.is_empty());
    let own = answers
        .iter()
        .find(|(operator, _)| *operator == service.operator())
        .map(|(_, a)| a.statement.clone());
    let replay: Option<SignedJob> = match own {
        Some(own) => Some(own),
        None if held && dissent => dispatch.replay().await.ok().map(|a| a.statement),
        None => None,
    };
    let reference = replay.clone().or_else(|| {
        winner
            .as_ref()
            .and_then(|w| answers.iter().find(|(_, a)| &a.statement.statement == w))
            .map(|(_, a)| a.statement.clone())
    });
    let mut evidence = Vec::new();
    let mut outcomes = Vec::new();
    for (operator, answer) in &answers {
        let agreed = winner.as_ref() == Some(&answer.statement.statement);
        let mut detail = if agreed {
            "signed the certified output".to_string()
        } else {
            "signed another output".to_string()
        };
        if let Some(reference) = reference.as_ref().filter(|r| r.statement != answer.statement.statement) {
            let piece = FraudEvidence::new(
                answer.statement.clone(),
                reference.clone(),
                replay.as_ref().map(|r| r.statement.output_digest),
                inputs.clone(),
            );
            match record(service, net.as_ref(), piece).await {
                Ok(summary) => {
                    detail = format!("{detail}; fraud evidence {} ({})", summary.id, summary.verdict.name());
                    evidence.push(summary);
                }
                Err(e) => detail = format!("{detail}; its evidence was not recorded: {e}"),
            }
        }
        let status = if agreed {
            OutcomeStatus::Agreed
        } else {
            OutcomeStatus::Dissented
        };
        outcomes.push(JobOutcome {
            operator: *operator,
            status,
            detail,
        });
    }
    for (operator, reason) in collected.failures {
        outcomes.push(JobOutcome {
            operator,
            status: OutcomeStatus::Failed,
            detail: reason,
        });
    }
    let Some(winner) = winner else {
        let sizes: Vec<String> = groups.iter().map(|(_, m)| m.len().to_string()).collect();
        let failed: Vec<String> = outcomes
            .iter()
            .filter(|o| o.status == OutcomeStatus::Failed)
            .map(|o| format!("{}: {}", o.operator, o.detail))
            .collect();
        return Err(NodeError::NoQuorum(format!(
            "{} operators answered, in groups of [{}] agreeing operators; the quorum is {quorum}; failures: [{}]",
            answers.len(),
            sizes.join(", "),
            failed.join("; ")
        )));
    };
    let signed: Vec<&SignedJob> = answers.iter().map(|(_, a)| &a.statement).collect();
    let outputs = answers
        .iter()
        .find(|(_, a)| a.statement.statement == winner)
        .map(|(_, a)| a.outputs.clone())
        .unwrap_or_default();
    Ok(Judged {
        outputs,
        certificate: QuorumCertificate::collect(winner, signed),
        outcomes,
        evidence,
    })
}
