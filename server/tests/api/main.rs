//! Integration tests: a real server on port 0 over a real database (a fresh SQLite file, or a fresh
//! PostgreSQL database), spoken to over real HTTP. Each behaviour is written once and run on both engines.

mod helpers;

mod accounts;
mod attacks;
mod forms;
mod health;
mod leaks;
mod lifecycle;
mod members;
mod notifications;
mod proxy;
mod rest;
mod scale_out;
mod startup_errors;
mod support;
mod tokens;
mod two_factor;
mod web_security;
