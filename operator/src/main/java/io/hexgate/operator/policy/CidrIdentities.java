package io.hexgate.operator.policy;

import io.hexgate.operator.identity.CidrPrefix;
import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.Label;
import io.hexgate.operator.identity.Labels;
import io.hexgate.operator.identity.ReservedIdentity;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * The node-local identities of the CIDR prefixes rules name, counted by the rules that name them: a
 * prefix gets its identity when the first rule names it and loses it with the last.
 */
final class CidrIdentities {
  private final Map<CidrPrefix, Integer> refs = new HashMap<>();
  private final Map<CidrPrefix, Long> ids = new HashMap<>();
  private long nextId = ReservedIdentity.FIRST_CIDR_ID;

  /** Counts one more rule naming {@code p}; the prefix's new identity when it is the first, else null. */
  Identity retain(CidrPrefix p) {
    if (refs.merge(p, 1, Integer::sum) != 1) {
      return null;
    }
    long id = nextId++;
    ids.put(p, id);
    Labels labels =
        Labels.of(new Label(Label.SOURCE_CIDR, p.toString(), ""), Label.reserved(ReservedIdentity.WORLD.labelKey()));
    return new Identity(id, labels, p);
  }

  /** Counts one rule fewer naming {@code p}; the identity it loses when it was the last, else null. */
  Long release(CidrPrefix p) {
    if (refs.merge(p, -1, Integer::sum) != 0) {
      return null;
    }
    refs.remove(p);
    return ids.remove(p);
  }

  Map<CidrPrefix, Long> all() {
    return Collections.unmodifiableMap(ids);
  }

  /** The identity of the longest named prefix that contains {@code address}, or null. */
  Long longestMatch(byte[] address) {
    CidrPrefix best = null;
    for (CidrPrefix p : ids.keySet()) {
      if (p.contains(address) && (best == null || p.length() > best.length())) {
        best = p;
      }
    }
    return best == null ? null : ids.get(best);
  }
}
