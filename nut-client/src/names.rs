//! [`IntoName`]: the name arguments of [`Client`](crate::Client)'s methods, given as text
//! (checked once, when the request is made) or as an already-checked typed name.

use nut_proto::names::{CmdName, UpsName, VarName};

use crate::error::Result;

/// A name argument: `&str` or `String` (checked when the request is made, so a bad name is
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) and nothing is sent), or an
/// already-checked [`UpsName`], [`VarName`] or [`CmdName`] (taken as it is, no second check).
///
/// ```
/// use nut_client::IntoName;
/// use nut_client::proto::names::UpsName;
///
/// let checked = UpsName::new("myups").unwrap();
/// let a: UpsName = (&checked).into_name().unwrap();
/// let b: UpsName = "myups".into_name().unwrap();
/// assert_eq!(a, b);
/// assert!(IntoName::<UpsName>::into_name("no spaces").is_err());
/// ```
pub trait IntoName<N> {
    /// The checked name.
    fn into_name(self) -> Result<N>;
}

macro_rules! into_name {
    ($($name:ty),*) => {$(
        impl IntoName<$name> for $name {
            fn into_name(self) -> Result<$name> {
                Ok(self)
            }
        }
        impl IntoName<$name> for &$name {
            fn into_name(self) -> Result<$name> {
                Ok(self.clone())
            }
        }
        impl IntoName<$name> for &str {
            fn into_name(self) -> Result<$name> {
                Ok(<$name>::new(self)?)
            }
        }
        impl IntoName<$name> for &String {
            fn into_name(self) -> Result<$name> {
                Ok(<$name>::new(self.as_str())?)
            }
        }
        impl IntoName<$name> for String {
            fn into_name(self) -> Result<$name> {
                Ok(<$name>::new(self)?)
            }
        }
    )*};
}

into_name!(UpsName, VarName, CmdName);
