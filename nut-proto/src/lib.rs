#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod cmdvartab;
pub mod config;
pub mod errno;
pub mod names;
pub mod net;
pub mod paths;
pub mod secret;
pub mod sock;
pub mod status;
pub mod template;
pub mod tokenizer;
pub mod upssched;
