DROP TABLE ws_ticket_uses;
