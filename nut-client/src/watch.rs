//! [`Watch`]: a stream of changes to a UPS's variables, by polling `LIST VAR`.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::stream::{self, BoxStream, Stream};
use tokio::time::{interval, MissedTickBehavior};

use nut_proto::names::{UpsName, VarName};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::types::VarValue;

/// One change to one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VarChange {
    /// The variable appeared (every variable is reported so on the first poll).
    Added {
        /// The variable.
        name: VarName,
        /// Its value.
        value: VarValue,
    },
    /// The value changed.
    Changed {
        /// The variable.
        name: VarName,
        /// The value before.
        old: VarValue,
        /// The value now.
        new: VarValue,
    },
    /// The variable disappeared.
    Removed {
        /// The variable.
        name: VarName,
        /// Its last value.
        old: VarValue,
    },
}

impl VarChange {
    /// The variable's name.
    pub fn name(&self) -> &VarName {
        match self {
            Self::Added { name, .. } | Self::Changed { name, .. } | Self::Removed { name, .. } => {
                name
            }
        }
    }

    /// The value now (`None` when removed).
    pub fn value(&self) -> Option<&VarValue> {
        match self {
            Self::Added { value, .. } => Some(value),
            Self::Changed { new, .. } => Some(new),
            Self::Removed { .. } => None,
        }
    }
}

/// Every variable of a UPS, by name.
pub type Snapshot = BTreeMap<VarName, VarValue>;

/// The changes from `old` to `new`, in name order.
pub fn diff(old: &Snapshot, new: &Snapshot) -> Vec<VarChange> {
    let mut changes = Vec::new();
    for (name, value) in new {
        match old.get(name) {
            None => changes.push(VarChange::Added {
                name: name.clone(),
                value: value.clone(),
            }),
            Some(before) if before != value => changes.push(VarChange::Changed {
                name: name.clone(),
                old: before.clone(),
                new: value.clone(),
            }),
            Some(_) => {}
        }
    }
    for (name, value) in old {
        if !new.contains_key(name) {
            changes.push(VarChange::Removed {
                name: name.clone(),
                old: value.clone(),
            });
        }
    }
    changes.sort_by(|a, b| a.name().cmp(b.name()));
    changes
}

/// A stream that polls `LIST VAR <ups>` every interval and yields the changes since the
/// previous poll: the first item lists every variable as [`VarChange::Added`], later items
/// only what changed (polls without change yield nothing).
///
/// A failed poll yields the error and the stream goes on polling; with a client that
/// reconnects, it recovers by itself once the server is back, and the next item holds the
/// changes since the last good poll. The stream never ends; drop it to stop.
///
/// Made by [`Client::watch`].
pub struct Watch {
    inner: BoxStream<'static, Result<Vec<VarChange>>>,
}

struct State {
    client: Client,
    ups: UpsName,
    ticker: tokio::time::Interval,
    last: Option<Snapshot>,
}

impl Watch {
    pub(crate) fn new(client: Client, ups: UpsName, every: Duration) -> Result<Self> {
        if every.is_zero() {
            return Err(Error::Config("watch interval must not be zero".into()));
        }
        let mut ticker = interval(every);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let state = State {
            client,
            ups,
            ticker,
            last: None,
        };
        let inner = stream::unfold(state, |mut state| async move {
            loop {
                state.ticker.tick().await;
                match state.client.list_vars(&state.ups).await {
                    Ok(vars) => {
                        let now: Snapshot = vars
                            .into_iter()
                            .map(|entry| (entry.name, entry.value))
                            .collect();
                        let first = state.last.is_none();
                        let changes = diff(state.last.as_ref().unwrap_or(&Snapshot::new()), &now);
                        state.last = Some(now);
                        if first || !changes.is_empty() {
                            return Some((Ok(changes), state));
                        }
                    }
                    Err(e) => return Some((Err(e), state)),
                }
            }
        });
        Ok(Self {
            inner: Box::pin(inner),
        })
    }
}

impl Stream for Watch {
    type Item = Result<Vec<VarChange>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(pairs: &[(&str, &str)]) -> Snapshot {
        pairs
            .iter()
            .map(|(k, v)| (VarName::new(*k).unwrap(), VarValue::new(*v)))
            .collect()
    }

    #[test]
    fn diff_reports_every_kind() {
        let old = snap(&[("a.x", "1"), ("b.x", "2"), ("c.x", "3")]);
        let new = snap(&[("a.x", "1"), ("b.x", "5"), ("d.x", "4")]);
        let changes = diff(&old, &new);
        let names: Vec<_> = changes.iter().map(|c| c.name().as_str()).collect();
        assert_eq!(names, ["b.x", "c.x", "d.x"]);
        assert!(matches!(&changes[0], VarChange::Changed { new, .. } if new == "5"));
        assert!(matches!(&changes[1], VarChange::Removed { .. }));
        assert_eq!(changes[2].value().map(VarValue::as_str), Some("4"));
        assert!(diff(&new, &new).is_empty());
    }
}
