//! `GET /ws?ticket=…`: checks, then hands the socket to [`crate::session`].
//!
//! Refusals are plain HTTP answers with the usual JSON error body: 403 `origin_not_allowed`
//! (an `Origin` header that is not in `ALLOWED_ORIGINS`; a request *without* Origin is allowed,
//! since only browsers send it and browsers always do), 401 `invalid_ticket` (missing, expired,
//! reused, wrong audience or signature, its session ended or its token version is old), 429
//! `too_many_sockets` (the user holds `WS_MAX_SOCKETS_PER_USER` on this node already), 503
//! `broker_unavailable` (this node cannot deliver right now; another replica may),
//! `database_unavailable` (the ticket's session cannot be checked) or `shutting_down`. Every 503
//! comes before the ticket is used up, so a proxy may retry it on another replica (nginx does).

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use shared::error::ErrorCode;
use shared::error::{Error, Kind};

use crate::hub::Refused;
use crate::session;
use crate::state::AppState;
use crate::ticket::TicketError;

#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error("origin {0:?} is not allowed")]
    Origin(String),
    #[error(transparent)]
    Ticket(#[from] TicketError),
    #[error("this node is not connected to the message broker, retry shortly")]
    BrokerDown,
    #[error(transparent)]
    Admission(#[from] Refused),
}

impl From<UpgradeError> for Error {
    fn from(e: UpgradeError) -> Self {
        let message = e.to_string();
        match e {
            UpgradeError::Origin(_) => Error::forbidden(ErrorCode::OriginNotAllowed, message),
            UpgradeError::Ticket(TicketError::Overloaded) => {
                Error { retry_after: Some(1), ..Error::new(Kind::Unavailable, ErrorCode::Overloaded, message) }
            }
            UpgradeError::Ticket(TicketError::Unverifiable) => {
                Error { retry_after: Some(2), ..Error::new(Kind::Unavailable, ErrorCode::DatabaseUnavailable, message) }
            }
            UpgradeError::Ticket(_) => Error::unauthorized(ErrorCode::InvalidTicket, message),
            UpgradeError::BrokerDown => {
                Error { retry_after: Some(2), ..Error::new(Kind::Unavailable, ErrorCode::BrokerUnavailable, message) }
            }
            UpgradeError::Admission(Refused::TooManySockets(_)) => {
                Error { retry_after: Some(5), ..Error::new(Kind::RateLimited, ErrorCode::TooManySockets, message) }
            }
            UpgradeError::Admission(Refused::ShuttingDown) => {
                Error { retry_after: Some(1), ..Error::new(Kind::Unavailable, ErrorCode::ShuttingDown, message) }
            }
        }
    }
}

#[derive(Deserialize)]
struct TicketQuery {
    ticket: Option<String>,
}

#[get("/ws")]
pub async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    check_origin(&req, &state.settings.allowed_origins).map_err(Error::from)?;
    if !state.broker.is_up() {
        return Err(Error::from(UpgradeError::BrokerDown).into());
    }
    // Answered before the ticket is used up, like every 503 here (nginx retries a 503 on
    // another replica with the same ticket); `admit` checks again for a shutdown begun since.
    if state.hub.is_shutting_down() {
        return Err(Error::from(UpgradeError::Admission(Refused::ShuttingDown)).into());
    }
    let query = web::Query::<TicketQuery>::from_query(req.query_string()).ok();
    let ticket = query.as_ref().and_then(|q| q.ticket.as_deref());
    let admitted = state.tickets.redeem(ticket).await.map_err(|e| Error::from(UpgradeError::from(e)))?;
    // Counted against the user's cap before the handshake, so two racing upgrades cannot both
    // take the last place; dropped unstarted (a failed handshake), it gives the place back.
    let admission = session::admit(&state, admitted).map_err(|e| Error::from(UpgradeError::from(e)))?;
    let (response, socket, stream) = actix_ws::handle(&req, body)?;
    session::start(admission, socket, stream);
    Ok(response)
}

fn check_origin(req: &HttpRequest, allowed: &[String]) -> Result<(), UpgradeError> {
    let Some(origin) = req.headers().get(header::ORIGIN) else { return Ok(()) };
    let origin = origin.to_str().unwrap_or_default().trim_end_matches('/');
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        Ok(())
    } else {
        Err(UpgradeError::Origin(origin.chars().take(200).collect()))
    }
}
