package io.hexgate.operator.policy;

import io.hexgate.operator.identity.CidrPrefix;
import io.hexgate.operator.identity.Identity;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The compiled rules of every policy object, and what they hold on to while stored: their selectors in
 * the {@link SelectorCache} and the identities of the CIDR prefixes they name. Replacing a policy's
 * rules hands them to the {@link PolicyResolver}.
 */
final class RuleRepository {
  private final Map<PolicyRef, List<CompiledRule>> rules = new TreeMap<>();
  private final SelectorCache selectors;
  private final CidrIdentities cidrs = new CidrIdentities();
  private final PolicyResolver resolver;

  RuleRepository(SelectorCache selectors, PolicyResolver resolver) {
    this.selectors = selectors;
    this.resolver = resolver;
  }

  /** Replaces every rule of one policy object; no rules deletes it. */
  void replace(PolicyRef ref, List<CompiledRule> next) {
    resolver.batch(
        () -> {
          // Order matters: the new rules' selectors and CIDR identities must exist before the
          // identities they select are recomputed, and the old ones go only after that.
          for (CompiledRule r : next) {
            retain(r);
          }
          List<CompiledRule> previous = next.isEmpty() ? rules.remove(ref) : rules.put(ref, List.copyOf(next));
          if (previous == null) {
            previous = List.of();
          }
          resolver.replace(previous, next);
          for (CompiledRule r : previous) {
            release(r);
          }
        });
  }

  boolean contains(PolicyRef ref) {
    return rules.containsKey(ref);
  }

  Collection<PolicyRef> refs() {
    return rules.keySet();
  }

  /** The rules of one policy object; the same list instance until they are replaced. */
  List<CompiledRule> rules(PolicyRef ref) {
    return rules.getOrDefault(ref, List.of());
  }

  /** Every policy object's rules, in a copy. */
  Map<PolicyRef, List<CompiledRule>> copy() {
    return new TreeMap<>(rules);
  }

  CidrIdentities cidrs() {
    return cidrs;
  }

  /** Notes about rule fields parsed but not enforced, per policy. */
  Map<PolicyRef, List<String>> notEnforced() {
    Map<PolicyRef, List<String>> out = new TreeMap<>();
    rules.forEach(
        (ref, rs) -> {
          List<String> notes = new ArrayList<>();
          rs.forEach(r -> notes.addAll(r.notEnforced()));
          if (!notes.isEmpty()) {
            out.put(ref, notes);
          }
        });
    return out;
  }

  private void retain(CompiledRule r) {
    selectors.retain(r);
    for (CidrPrefix p : r.cidrs()) {
      Identity added = cidrs.retain(p);
      if (added != null) {
        resolver.addIdentity(added, false);
      }
    }
  }

  private void release(CompiledRule r) {
    selectors.release(r);
    for (CidrPrefix p : r.cidrs()) {
      Long removed = cidrs.release(p);
      if (removed != null) {
        resolver.removeIdentity(removed);
      }
    }
  }
}
