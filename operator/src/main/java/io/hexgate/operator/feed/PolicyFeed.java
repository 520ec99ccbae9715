package io.hexgate.operator.feed;

import io.hexgate.operator.policy.FieldError;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.PolicyRules;
import io.hexgate.operator.policy.PolicyValidity;
import io.hexgate.operator.policy.api.Rule;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts policy objects of every kind into the engine, validated first. An invalid object is recorded in
 * {@link PolicyValidity} and never reaches the engine, so the other policies are untouched and the last
 * valid version of this one stays enforced, as in Cilium.
 */
public final class PolicyFeed {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyFeed.class);

  private final EngineWriter writer;
  private final PolicyValidity validity;

  public PolicyFeed(EngineWriter writer, PolicyValidity validity) {
    this.writer = writer;
    this.validity = validity;
  }

  /** Cilium's {@code spec} then {@code specs[i]}, with the field path of each. */
  public void upsertCilium(PolicyRef ref, Long generation, Rule spec, List<Rule> specs, List<FieldError> errors) {
    PolicyRules r = PolicyRules.cilium(spec, specs);
    upsert(ref, generation, r.rules(), r.paths(), errors);
  }

  public void upsert(PolicyRef ref, Long generation, List<Rule> rules, List<String> paths, List<FieldError> errors) {
    Long enforced = validity.get(ref).map(PolicyValidity.Result::enforcedGeneration).orElse(null);
    if (errors.isEmpty() && enforced != null && Objects.equals(enforced, generation)) {
      return; // a resync of rules the engine already holds
    }
    if (!errors.isEmpty()) {
      validity.record(ref, generation, errors);
      LOG.warn(
          "{}: invalid, {}: {}",
          ref,
          enforced == null ? "not enforced" : "generation " + enforced + " stays enforced",
          errors);
      return;
    }
    List<List<String>> notEnforced = new ArrayList<>(1);
    writer.apply(
        engine -> {
          engine.upsertPolicy(ref, rules, paths);
          notEnforced.add(engine.rules(ref).stream().flatMap(r -> r.notEnforced().stream()).toList());
        });
    validity.record(ref, generation, errors, notEnforced.get(0));
    LOG.info("{}: generation {} enforced ({} rules)", ref, generation, rules.size());
  }

  public void delete(PolicyRef ref) {
    validity.remove(ref);
    writer.apply(engine -> engine.deletePolicy(ref));
    LOG.info("{}: deleted", ref);
  }
}
