/**
 * The user-facing {@code cilium.io/v2} policy types, field for field as Cilium's CRDs define them. Nothing
 * here interprets a rule: the engine in {@code io.hexgate.operator.policy} compiles these into selectors and
 * rule maps. Fields are public, as in Cilium's Go types, so that the YAML, the CRD schema and the Java agree
 * by construction.
 */
package io.hexgate.operator.policy.api;
