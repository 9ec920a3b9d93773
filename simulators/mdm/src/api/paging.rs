//! Pagination of the lists (`GET /devices`, `GET /actions`): `page_size`
//! and `page_token` in, `next_page_token` out when there is more, as AMAPI
//! pages its own lists. A token is opaque to clients; ours names the last
//! row of the page (keyset paging), so a page is cheap however long the list.

use super::error::ApiError;
use serde::Deserialize;

/// Our choice: a page holds 100 entries unless asked otherwise, at most 1000.
pub(crate) const DEFAULT_PAGE_SIZE: usize = 100;
pub(crate) const MAX_PAGE_SIZE: usize = 1000;

/// The paging part of a list's query string.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    /// Text, so that a malformed number is the protocol's INVALID_ARGUMENT.
    page_size: Option<String>,
    page_token: Option<String>,
}

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    /// The key of the last row of the previous page.
    pub after: Option<i64>,
    pub size: usize,
}

impl PageQuery {
    pub(crate) fn page(&self) -> Result<Page, ApiError> {
        let size = match self.page_size.as_deref() {
            None | Some("") => DEFAULT_PAGE_SIZE,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
                _ => {
                    return Err(ApiError::invalid(format!(
                        "`page_size` must be a whole number from 1 to {MAX_PAGE_SIZE}."
                    )))
                }
            },
        };
        let after = match self.page_token.as_deref() {
            None | Some("") => None,
            Some(token) => Some(token.strip_prefix("after-").and_then(|n| n.parse::<i64>().ok()).ok_or_else(|| {
                ApiError::invalid("`page_token` is not a token this MDM gave; start again without it.")
            })?),
        };
        Ok(Page { after, size })
    }
}

/// Cut a list fetched with one row too many (`page.size + 1`) into the page
/// and the token of the next one.
pub(crate) fn cut<T>(mut rows: Vec<(i64, T)>, page: Page) -> (Vec<T>, Option<String>) {
    let more = rows.len() > page.size;
    rows.truncate(page.size);
    let next = if more { rows.last().map(|(key, _)| format!("after-{key}")) } else { None };
    (rows.into_iter().map(|(_, row)| row).collect(), next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(size: Option<&str>, token: Option<&str>) -> PageQuery {
        PageQuery { page_size: size.map(str::to_owned), page_token: token.map(str::to_owned) }
    }

    #[test]
    fn sizes_and_tokens() {
        assert_eq!(query(None, None).page().unwrap(), Page { after: None, size: DEFAULT_PAGE_SIZE });
        assert_eq!(query(Some("5"), Some("after-7")).page().unwrap(), Page { after: Some(7), size: 5 });
        for bad in ["0", "1001", "-1", "ten"] {
            assert_eq!(query(Some(bad), None).page().unwrap_err().code, "INVALID_ARGUMENT", "{bad}");
        }
        assert_eq!(query(None, Some("7")).page().unwrap_err().code, "INVALID_ARGUMENT");
    }

    #[test]
    fn a_page_with_more_behind_it_names_its_last_row() {
        let page = Page { after: None, size: 2 };
        assert_eq!(cut(vec![(1, 'a'), (4, 'b'), (9, 'c')], page), (vec!['a', 'b'], Some("after-4".to_owned())));
        assert_eq!(cut(vec![(1, 'a'), (4, 'b')], page), (vec!['a', 'b'], None));
    }
}
