package io.hexgate.operator.feed;

import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.policy.Endpoint;

/**
 * What the engine says about one endpoint, published after each change so that other threads (the
 * CiliumEndpoint writer) can read it without touching the engine.
 *
 * @param identity null while the endpoint has none (its allocation failed and will be retried)
 */
public record EndpointView(Endpoint endpoint, Identity identity, boolean ingressEnforcing, boolean egressEnforcing) {}
