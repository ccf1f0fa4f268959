pub mod dm;
pub mod fanout;
mod groups;
pub mod idle;
pub mod reconnect;
