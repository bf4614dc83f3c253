//! upsdrvctl: start, stop and supervise the drivers listed in ups.conf.
