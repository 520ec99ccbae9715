package io.hexgate.operator.policy;

import io.hexgate.operator.policy.api.Rule;
import java.util.ArrayList;
import java.util.List;

/** The rules of one policy object with the field path of each, as the engine takes them. */
public record PolicyRules(List<Rule> rules, List<String> paths) {
  public PolicyRules {
    rules = List.copyOf(rules);
    paths = List.copyOf(paths);
  }

  /** Cilium's {@code spec} then {@code specs[i]}. */
  public static PolicyRules cilium(Rule spec, List<Rule> specs) {
    List<Rule> rules = new ArrayList<>();
    List<String> paths = new ArrayList<>();
    if (spec != null) {
      rules.add(spec);
      paths.add("spec");
    }
    if (specs != null) {
      for (int i = 0; i < specs.size(); i++) {
        rules.add(specs.get(i));
        paths.add("specs[" + i + "]");
      }
    }
    return new PolicyRules(rules, paths);
  }

  /** Rules translated from one object's {@code spec}, such as a Kubernetes NetworkPolicy's. */
  public static PolicyRules fromSpec(List<Rule> rules) {
    return new PolicyRules(rules, rules.stream().map(r -> "spec").toList());
  }
}
