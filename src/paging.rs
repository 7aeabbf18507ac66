//! Long lists over the API a page at a time: `limit` items (1 to 1000; 1000 when not given) from
//! `offset`, with `X-Total-Count` and a `Link` to the next page (RFC 8288), so no answer is
//! unbounded and a client that wants everything follows the links.
// utoipa's `IntoParams` expansion names the query type in full, outside the item.
#![allow(unused_qualifications)]

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::error::AppError;

/// The most items one answer holds.
pub const MAX_LIMIT: usize = 1000;

/// Which page of a list.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct Page {
    /// How many items (1 to 1000; 1000 when not given).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// How many to skip (0 when not given).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

impl Page {
    /// The page asked for, or a 422 naming the parameter.
    pub fn parse(&self) -> Result<(usize, usize), AppError> {
        let limit = match self.limit {
            None => MAX_LIMIT,
            Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => n as usize,
            Some(_) => return Err(AppError::validation("limit", "must be between 1 and 1000")),
        };
        let offset = match self.offset {
            None => 0,
            Some(n) if n >= 0 => n as usize,
            Some(_) => return Err(AppError::validation("offset", "must be 0 or more")),
        };
        Ok((limit, offset))
    }
}

/// One page of `items` (the whole list, in order) as JSON, with the total and the next page's link.
pub fn answer<T: Serialize>(req: &HttpRequest, items: Vec<T>, page: &Page) -> Result<HttpResponse, AppError> {
    let (limit, offset) = page.parse()?;
    let total = items.len();
    let shown: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
    let mut response = HttpResponse::Ok();
    response.insert_header(("X-Total-Count", total.to_string()));
    if offset + limit < total {
        // The same query with the next offset: the filters stay as they were.
        let kept = url::form_urlencoded::parse(req.query_string().as_bytes())
            .filter(|(k, _)| k != "offset" && k != "limit")
            .map(|(k, v)| (k.into_owned(), v.into_owned()));
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .append_pair("limit", &limit.to_string())
            .append_pair("offset", &(offset + limit).to_string())
            .finish();
        response.insert_header((header::LINK, format!("<{}?{query}>; rel=\"next\"", req.path())));
    }
    Ok(response.json(shown))
}
