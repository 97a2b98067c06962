//! The few things islands do to the document directly: close dialogs, move the focus, forget props
//! that held a one-time secret, and keep the address in step with a filter.

/// Closes every open dialog (the action it asked for is done).
pub fn close_dialogs() {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Ok(open) = leptos::prelude::document().query_selector_all("dialog[open]") {
            for i in 0..open.length() {
                if let Some(dialog) = open.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlDialogElement>().ok()) {
                    dialog.close();
                }
            }
        }
    }
}

/// Moves the focus to the first element found by one of `selectors` (tried in order), once the
/// page has been redrawn.
pub fn focus_first(selectors: &'static [&'static str]) {
    #[cfg(feature = "hydrate")]
    leptos::prelude::request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let document = leptos::prelude::document();
        if let Some(element) = selectors
            .iter()
            .find_map(|s| document.query_selector(s).ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = selectors;
}

/// Removes the serialised props of the islands named `component` from the document: once hydrated, a
/// one-time secret that came with the page (a form posted before hydration) lives only in memory.
pub fn forget_props(component: &'static str) {
    #[cfg(feature = "hydrate")]
    if let Ok(islands) = leptos::prelude::document().query_selector_all("leptos-island[data-props]") {
        use wasm_bindgen::JsCast;
        for i in 0..islands.length() {
            if let Some(island) = islands.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                && island.get_attribute("data-component").is_some_and(|c| c.starts_with(component))
            {
                let _ = island.remove_attribute("data-props");
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = component;
}

/// Replaces the address's query (no navigation, no new history entry), so a reload shows the same.
pub fn replace_query(path: &str, query: &str) {
    #[cfg(feature = "hydrate")]
    {
        let url = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
        if let Ok(history) = leptos::prelude::window().history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (path, query);
}

/// Leaves for `path` (a page load): after leaving the organization, nothing here is theirs any more.
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    let _ = leptos::prelude::window().location().set_href(path);
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Clears the form with id `id` (its inputs back to their defaults), after what it asked for is done.
pub fn reset_form(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(form) = leptos::prelude::document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlFormElement>().ok())
        {
            form.reset();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// Empties the inputs and selects with these ids (a select goes back to its option with value "").
pub fn clear_fields(ids: &[&str]) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let document = leptos::prelude::document();
        for element in ids.iter().filter_map(|id| document.get_element_by_id(id)) {
            match element.dyn_into::<web_sys::HtmlInputElement>() {
                Ok(input) => input.set_value(""),
                Err(element) => {
                    if let Ok(select) = element.dyn_into::<web_sys::HtmlSelectElement>() {
                        select.set_value("");
                    }
                }
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ids;
}
