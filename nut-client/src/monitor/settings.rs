//! The settings upsmon's decision uses, taken from upsmon.conf with C's defaults (and the
//! defaults of newer C versions for the keywords they added).

use nut_proto::config::UpsmonConf;

/// The settings the decision uses, from upsmon.conf with C's defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// MINSUPPLIES.
    pub minsupplies: u64,
    /// POLLFREQ (seconds).
    pub pollfreq: u32,
    /// POLLFREQALERT (seconds).
    pub pollfreqalert: u32,
    /// HOSTSYNC (seconds; negative counts as 0).
    pub hostsync: i32,
    /// DEADTIME (seconds).
    pub deadtime: i32,
    /// RBWARNTIME (seconds).
    pub rbwarntime: i32,
    /// NOCOMMWARNTIME (seconds).
    pub nocommwarntime: i32,
    /// FINALDELAY (seconds).
    pub finaldelay: u32,
    /// OFFDURATION (newer C; default 30; negative: OFF never makes a UPS critical).
    pub offduration: i32,
    /// OVERDURATION (newer C; default -1: overload never makes a UPS critical).
    pub overduration: i32,
    /// OBLBDURATION (newer C; default 0: OB LB is critical at once).
    pub oblbduration: u32,
    /// ALARMCRITICAL (newer C; default on).
    pub alarmcritical: bool,
}

impl Settings {
    /// The settings of `conf`.
    pub fn from_conf(conf: &UpsmonConf) -> Self {
        Self {
            minsupplies: conf.minsupplies.into(),
            pollfreq: conf.pollfreq.max(1),
            pollfreqalert: conf.pollfreqalert.max(1),
            hostsync: conf.hostsync,
            deadtime: conf.deadtime,
            rbwarntime: conf.rbwarntime,
            nocommwarntime: conf.nocommwarntime,
            finaldelay: conf.finaldelay,
            offduration: conf.offduration.unwrap_or(30),
            overduration: conf.overduration.unwrap_or(-1),
            oblbduration: conf.oblbduration.unwrap_or(0),
            alarmcritical: conf.alarmcritical.unwrap_or(true),
        }
    }
}
