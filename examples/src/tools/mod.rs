//! The client tools (upsc, upscmd, upsrw, upslog): what each prints and how it exits.
