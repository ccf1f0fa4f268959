pub mod dm;
pub mod fanout;
mod groups;
pub mod idle;
pub mod open_loop;
pub mod reconnect;
pub mod steps;
