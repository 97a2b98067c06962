//! Paging cursors (`after=`) and page sizes (`limit=`): parse or refuse, never panic; a parsed cursor
//! prints to something that parses to the same cursor.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tessera_core::{domain::paging::{Cursor, PageSize}, ids::{EventId, TokenId}};

fuzz_target!(|data: (&str, &str)| {
    let (after, limit) = data;
    if let Ok(cursor) = Cursor::<TokenId>::parse(after) {
        let again = Cursor::<TokenId>::parse(&cursor.to_string()).expect("a printed cursor parses");
        assert_eq!((again.at, again.id), (cursor.at, cursor.id));
    }
    let _ = Cursor::<EventId>::parse(after);
    if let Ok(size) = PageSize::parse(Some(limit)) {
        assert!((1..=100).contains(&size.get()));
    }
});
