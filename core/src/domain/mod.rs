//! Input as people and programs send it, parsed once at the edge into values that can't be wrong
//! ("parse, don't validate"): a value of these types is valid by construction, and the parse error is a
//! sentence that says what to type instead.

pub mod account;
pub mod audit;
pub mod links;
pub mod org;
pub mod paging;
pub mod policy;
pub mod redirect;
pub mod restriction;
pub mod text;
pub mod token;
pub mod webhook;
