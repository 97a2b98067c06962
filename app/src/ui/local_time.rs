//! Times in the reader's time zone. The server can't know it, so it writes UTC and names it; in the
//! browser, `Date` and `Intl` (the browser's own, nothing added to the bundle but two bindings) write
//! the same instant in the browser's zone, naming the zone ("Dec 8, 2026, 20:14 GMT+9").

/// `rfc3339` in the browser's time zone (`None` on the server, which writes UTC).
pub fn format(rfc3339: &str, with_time: bool) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        browser::format(rfc3339, with_time)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (rfc3339, with_time);
        None
    }
}

/// Rewrites every `<time data-local>` of the page that the server wrote in UTC.
pub fn rewrite_all() {
    #[cfg(feature = "hydrate")]
    browser::rewrite_all();
}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::{JsCast, prelude::*};

    #[wasm_bindgen]
    extern "C" {
        type Date;
        #[wasm_bindgen(constructor)]
        fn new(text: &str) -> Date;
        #[wasm_bindgen(method, js_name = getTime)]
        fn get_time(this: &Date) -> f64;
        #[wasm_bindgen(method, js_name = toLocaleString)]
        fn to_locale_string(this: &Date, locale: &str, options: &JsValue) -> String;
        #[wasm_bindgen(js_namespace = JSON, js_name = parse)]
        fn json_parse(text: &str) -> JsValue;
    }

    /// The dashboard's format (English month names, 24-hour clock), in the browser's zone.
    const DATE: &str = r#"{"month":"short","day":"numeric","year":"numeric"}"#;
    const DATE_TIME: &str = r#"{"month":"short","day":"numeric","year":"numeric","hour":"2-digit","minute":"2-digit","hourCycle":"h23","timeZoneName":"short"}"#;

    pub fn format(rfc3339: &str, with_time: bool) -> Option<String> {
        let date = Date::new(rfc3339);
        if date.get_time().is_nan() {
            return None;
        }
        Some(date.to_locale_string("en-US", &json_parse(if with_time { DATE_TIME } else { DATE })))
    }

    pub fn rewrite_all() {
        let Ok(found) = leptos::prelude::document().query_selector_all("time[data-local]") else { return };
        for i in 0..found.length() {
            let Some(element) = found.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) else { continue };
            let Some(at) = element.get_attribute("datetime") else { continue };
            let with_time = element.get_attribute("data-local").as_deref() == Some("date-time");
            if let (Some(text), Some(title)) = (format(&at, with_time), format(&at, true)) {
                element.set_text_content(Some(&text));
                let _ = element.set_attribute("title", &title);
            }
        }
    }
}
