//! The backup containers of the configured instances: listed (I/O, each
//! bounded by a timeout), then judged against the estate's history (pure).
//! `check` does both in one go; `serve` lists on a thread of its own every
//! few rounds and judges the last complete listing with every round.

use chrono::{DateTime, Utc};

use super::answers::{ContainerAnswer, FileCounts};
use crate::analysis::storage::{check_listing, history_files, CheckedContainer, ListingOrigin};
use crate::analysis::Finding;
use crate::blob::{list_all, AzureBlobSource, AzureOptions, BlobEntry, ContainerUrl};
use crate::config::InstanceConfig;
use crate::model::Estate;

/// How long one container's listing may take.
pub const LIST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);

/// One container to list: for a configured instance, or from the command line.
#[derive(Debug, Clone)]
pub struct Target {
    pub instance: Option<String>,
    /// The URL without its token, as shown.
    pub display: String,
    /// `account/container` as msdb history names it.
    pub history_key: String,
    /// The URL with its token, or why there is none.
    pub url: Result<ContainerUrl, String>,
}

/// The containers of `instances` that configure one (`container_url`).
pub fn configured(instances: &[InstanceConfig], now: DateTime<Utc>) -> Vec<Target> {
    instances
        .iter()
        .filter_map(|i| {
            let s = i.storage.as_ref()?;
            Some(Target {
                instance: Some(i.name.clone()),
                display: s.url.to_string(),
                history_key: s.history_key(),
                url: s.resolve(now),
            })
        })
        .collect()
}

/// One listing per container, whoever names it first.
pub fn dedup(targets: &mut Vec<Target>) {
    let mut seen: Vec<(String, String)> = Vec::new();
    targets.retain(|t| {
        let k = (t.display.to_ascii_lowercase(), t.history_key.clone());
        let fresh = !seen.contains(&k);
        seen.push(k);
        fresh
    });
}

/// What listing one container gave.
#[derive(Debug, Clone)]
pub struct Listed {
    pub instance: Option<String>,
    pub display: String,
    pub history_key: String,
    /// The blobs, or why the container could not be listed.
    pub blobs: Result<Vec<BlobEntry>, String>,
}

/// Lists every target concurrently; a failure is that container's reason.
pub async fn list(targets: Vec<Target>) -> Vec<Listed> {
    let results = futures_util::future::join_all(targets.iter().map(|t| async move {
        let url = t.url.clone()?;
        let source =
            AzureBlobSource::new(url, AzureOptions::default()).map_err(|e| e.to_string())?;
        match tokio::time::timeout(LIST_TIMEOUT, list_all(&source, None, None)).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err(format!(
                "listing did not finish within {} s",
                LIST_TIMEOUT.as_secs()
            )),
        }
    }))
    .await;
    targets
        .into_iter()
        .zip(results)
        .map(|(t, blobs)| Listed {
            instance: t.instance,
            display: t.display,
            history_key: t.history_key,
            blobs,
        })
        .collect()
}

/// One container judged against the estate's history.
#[derive(Debug)]
pub struct Judged<'l> {
    pub listed: &'l Listed,
    /// The cross-check, or why there is none (the listing failed).
    pub checked: Result<CheckedContainer, String>,
    /// Its findings, blobs nobody claims given to the instance that configured it.
    pub findings: Vec<Finding>,
}

impl Judged<'_> {
    pub fn answer(&self) -> ContainerAnswer {
        ContainerAnswer {
            instance: self.listed.instance.clone(),
            container: self.listed.history_key.clone(),
            listed: self.checked.is_ok(),
            blobs: self.checked.as_ref().map_or(0, |c| c.check.files.len()),
            files: FileCounts::of(&self.findings),
        }
    }
}

/// Judges every listing against `estate` as of `now`.
pub fn judge<'l>(listed: &'l [Listed], estate: &Estate, now: DateTime<Utc>) -> Vec<Judged<'l>> {
    if listed.is_empty() {
        return Vec::new();
    }
    let history = history_files(estate, now);
    listed
        .iter()
        .map(|l| match &l.blobs {
            Ok(blobs) => {
                let c = check_listing(
                    &l.history_key,
                    estate,
                    &history,
                    blobs,
                    ListingOrigin::Storage,
                    now,
                );
                let mut findings = c.findings.clone();
                if let Some(inst) = &l.instance {
                    for x in findings
                        .iter_mut()
                        .filter(|x| x.instance.starts_with("storage "))
                    {
                        x.instance = inst.clone();
                    }
                }
                Judged {
                    listed: l,
                    checked: Ok(c),
                    findings,
                }
            }
            Err(reason) => Judged {
                listed: l,
                checked: Err(reason.clone()),
                findings: Vec::new(),
            },
        })
        .collect()
}
