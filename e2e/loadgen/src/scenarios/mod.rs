pub mod dm;
pub mod fanout;
pub mod idle;
pub mod reconnect;
