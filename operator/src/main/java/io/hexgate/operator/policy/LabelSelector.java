package io.hexgate.operator.policy;

import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.IdentityTable;
import java.util.BitSet;
import java.util.List;
import java.util.TreeSet;

/** A conjunction of label requirements; no requirement selects every identity. */
public record LabelSelector(List<Requirement> requirements) implements Selector {
  public LabelSelector {
    requirements = List.copyOf(new TreeSet<>(requirements));
  }

  public static LabelSelector of(Requirement... rs) {
    return new LabelSelector(List.of(rs));
  }

  public boolean mentions(String key) {
    return requirements.stream().anyMatch(r -> r.key().equals(key));
  }

  @Override
  public boolean selects(Identity identity) {
    for (Requirement r : requirements) {
      if (!r.matches(identity.labels())) {
        return false;
      }
    }
    return true;
  }

  @Override
  public BitSet select(IdentityTable table) {
    BitSet acc = (BitSet) table.liveSlots().clone();
    for (Requirement r : requirements) {
      r.narrow(acc, table);
      if (acc.isEmpty()) {
        break;
      }
    }
    return acc;
  }

  @Override
  public String toString() {
    return requirements.isEmpty() ? "{}" : requirements.toString();
  }
}
