package io.hexgate.operator.policy;

import io.hexgate.operator.identity.CidrPrefix;
import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.IdentityTable;
import io.hexgate.operator.identity.ReservedIdentity;
import java.util.BitSet;
import java.util.List;

/**
 * Selects the CIDR identities inside {@code prefix} and outside every {@code except}. Every prefix a
 * rule names has an identity of its own, and an address takes the identity of its longest known
 * prefix, so containment of identity prefixes decides exactly which addresses match. The world
 * identity stands for addresses under no known prefix: only a zero-length prefix reaches it. CIDR
 * selectors never select pods.
 */
public record CidrSelector(CidrPrefix prefix, List<CidrPrefix> except) implements Selector {
  public CidrSelector {
    except = List.copyOf(except);
  }

  @Override
  public boolean selects(Identity identity) {
    if (identity.id() == ReservedIdentity.WORLD.id()) {
      return prefix.length() == 0;
    }
    if (!identity.isCidr() || !prefix.contains(identity.cidr())) {
      return false;
    }
    for (CidrPrefix e : except) {
      if (e.contains(identity.cidr())) {
        return false;
      }
    }
    return true;
  }

  @Override
  public BitSet select(IdentityTable table) {
    BitSet out = new BitSet();
    BitSet cidrs = table.cidrSlots();
    for (int s = cidrs.nextSetBit(0); s >= 0; s = cidrs.nextSetBit(s + 1)) {
      if (selects(table.atSlot(s))) {
        out.set(s);
      }
    }
    int world = table.slotOf(ReservedIdentity.WORLD.id());
    if (world >= 0 && prefix.length() == 0) {
      out.set(world);
    }
    return out;
  }

  @Override
  public String toString() {
    return except.isEmpty() ? "cidr:" + prefix : "cidr:" + prefix + " except " + except;
  }
}
