//! What can stop the relay's work on a batch or a connection.

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("database connection: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("broker: {0}")]
    Broker(#[from] lapin::Error),
    #[error("broker refused a message")]
    Nacked,
    #[error("no confirm from the broker in time")]
    ConfirmTimeout,
    #[error("connecting to the broker timed out")]
    ConnectTimeout,
    #[error("relay task failed: {0}")]
    Join(String),
}
