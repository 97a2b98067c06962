//! Integration tests: a real server on port 0 over a real database (a fresh SQLite file, or a fresh
//! PostgreSQL database), spoken to over real HTTP. Each behaviour is written once and run on both engines.

mod helpers;

mod accounts;
mod attacks;
mod backups;
mod forms;
mod health;
mod leaks;
mod lifecycle;
mod members;
mod navigation;
mod notifications;
mod one_binary;
mod proxy;
mod rest;
mod restrictions;
mod scale_out;
mod startup_errors;
mod support;
mod tokens;
mod upgrades;
mod web_security;
