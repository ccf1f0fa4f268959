# The two commands of the README: `make run` and `make test`. Everything else is a helper.
.PHONY: run stop status test services lint fmt

run: ## Provision services, build release binaries, start api-server + 2 ws-server + nginx
	deploy/local/cluster.sh up

stop: ## Stop what `make run` started
	deploy/local/cluster.sh down

status:
	deploy/local/cluster.sh status

test: ## Every test: unit, integration against the real services, cluster, config checks
	scripts/test.sh

services: ## Only make PostgreSQL, RabbitMQ and Memcached reachable
	deploy/local/services.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all
