-- The web client's theme, stored with the account so it follows the user to another browser.
ALTER TABLE users ADD COLUMN theme text NOT NULL DEFAULT 'system'
    CONSTRAINT users_theme_check CHECK (theme IN ('system', 'light', 'dark'));
