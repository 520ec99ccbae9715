package io.hexgate.operator.policy;

import io.hexgate.operator.identity.CidrPrefix;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** What compiling one rule collects besides its terms: notes on fields not enforced, and the CIDRs it names. */
final class RuleContext {
  final PolicyRef origin;
  final String namespace;
  final List<String> notEnforced = new ArrayList<>();
  final Set<CidrPrefix> cidrs = new LinkedHashSet<>();

  RuleContext(PolicyRef origin, String namespace) {
    this.origin = origin;
    this.namespace = namespace;
  }
}
