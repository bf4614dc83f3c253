//! [`ResponseAssembler`]: turns reply lines into whole replies, sans-IO.

use super::list::{ListItem, ListReply};
use super::response::{excerpt, ReplyLine, Response, ResponseError};

/// The default limit on the number of items in one list.
///
/// A large UPS has a few hundred variables; the limit only stops a broken or hostile server
/// from growing a list without end.
pub const DEFAULT_MAX_LIST_ITEMS: usize = 65_536;

/// Assembles reply lines into whole replies: a single-line reply is complete at once, a list
/// is complete at its `END LIST`.
///
/// It checks what C's libupsclient checks and a little more: every item belongs to the open
/// list (same kind, same UPS and variable, ignoring case), `END LIST` echoes the same query
/// as `BEGIN LIST`, no list opens inside another, and no item (other than `VAR`, which is
/// also the reply to GET VAR) comes outside a list. After an error the open list, if any, is
/// dropped; the connection is best closed, since replies may no longer match requests.
///
/// ```
/// use nut_proto::net::{ListReply, Response, ResponseAssembler};
///
/// let mut asm = ResponseAssembler::new();
/// assert_eq!(asm.push_line(b"BEGIN LIST VAR ups\n").unwrap(), None);
/// assert_eq!(asm.push_line(b"VAR ups ups.status \"OL\"\n").unwrap(), None);
/// match asm.push_line(b"END LIST VAR ups\n").unwrap() {
///     Some(Response::List(ListReply::Var { vars, .. })) => assert_eq!(vars.len(), 1),
///     other => panic!("{other:?}"),
/// }
/// assert_eq!(asm.push_line(b"OK\n").unwrap(), Some(Response::Ok));
/// ```
#[derive(Debug, Clone)]
pub struct ResponseAssembler {
    open: Option<ListReply>,
    max_list_items: usize,
}

impl Default for ResponseAssembler {
    fn default() -> Self {
        Self::new()
    }
}

impl ResponseAssembler {
    /// An assembler with [`DEFAULT_MAX_LIST_ITEMS`].
    pub fn new() -> Self {
        Self::with_max_list_items(DEFAULT_MAX_LIST_ITEMS)
    }

    /// An assembler that rejects lists of more than `max_list_items` items.
    pub fn with_max_list_items(max_list_items: usize) -> Self {
        Self {
            open: None,
            max_list_items,
        }
    }

    /// Whether a list is open (its `BEGIN LIST` came, its `END LIST` not yet).
    pub fn is_in_list(&self) -> bool {
        self.open.is_some()
    }

    /// Takes one line (up to its first LF, if any) and returns the reply it completes.
    pub fn push_line(&mut self, line: &[u8]) -> Result<Option<Response>, ResponseError> {
        let decoded = ReplyLine::decode(line);
        let open = self.open.take();
        let decoded = decoded?;
        match (open, decoded) {
            (None, ReplyLine::Single(response)) => Ok(Some(response)),
            (None, ReplyLine::Begin(query)) => {
                self.open = Some(ListReply::empty(query));
                Ok(None)
            }
            (None, ReplyLine::Item(ListItem::Var { ups, var, value })) => {
                Ok(Some(Response::Var { ups, var, value }))
            }
            (None, ReplyLine::Item(_)) => Err(ResponseError::StrayItem {
                line: excerpt(line),
            }),
            (None, ReplyLine::End(_)) => Err(ResponseError::StrayEnd {
                line: excerpt(line),
            }),
            (Some(mut list), ReplyLine::Item(item)) => {
                if list.len() >= self.max_list_items {
                    return Err(ResponseError::TooManyItems {
                        query: list.query(),
                        limit: self.max_list_items,
                    });
                }
                match list.push(item) {
                    Ok(()) => {
                        self.open = Some(list);
                        Ok(None)
                    }
                    Err(_) => Err(ResponseError::ItemMismatch {
                        query: list.query(),
                        line: excerpt(line),
                    }),
                }
            }
            (Some(list), ReplyLine::End(query)) => {
                if query == list.query() {
                    Ok(Some(Response::List(list)))
                } else {
                    Err(ResponseError::EndMismatch {
                        query: list.query(),
                        line: excerpt(line),
                    })
                }
            }
            (Some(list), ReplyLine::Begin(_) | ReplyLine::Single(_)) => {
                Err(ResponseError::UnexpectedInList {
                    query: list.query(),
                    line: excerpt(line),
                })
            }
        }
    }

    /// Drops an open list, if any (for instance after the connection was reset).
    pub fn reset(&mut self) {
        self.open = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::ListQuery;

    #[test]
    fn errors_drop_the_open_list() {
        let mut asm = ResponseAssembler::new();
        asm.push_line(b"BEGIN LIST CMD ups").unwrap();
        assert!(matches!(
            asm.push_line(b"OK"),
            Err(ResponseError::UnexpectedInList {
                query: ListQuery::Cmd { .. },
                ..
            })
        ));
        assert!(!asm.is_in_list());
        asm.push_line(b"BEGIN LIST CMD ups").unwrap();
        assert!(matches!(
            asm.push_line(b"VAR ups \"broken"),
            Err(ResponseError::Malformed { .. })
        ));
        assert!(!asm.is_in_list());
        assert_eq!(asm.push_line(b"OK").unwrap(), Some(Response::Ok));
    }

    #[test]
    fn item_limit() {
        let mut asm = ResponseAssembler::with_max_list_items(2);
        asm.push_line(b"BEGIN LIST CMD ups").unwrap();
        asm.push_line(b"CMD ups a").unwrap();
        asm.push_line(b"CMD ups b").unwrap();
        assert_eq!(
            asm.push_line(b"CMD ups c"),
            Err(ResponseError::TooManyItems {
                query: ListQuery::Cmd {
                    ups: "ups".parse().unwrap()
                },
                limit: 2
            })
        );
        asm.reset();
        assert!(!asm.is_in_list());
    }
}
