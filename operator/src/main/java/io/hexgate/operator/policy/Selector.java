package io.hexgate.operator.policy;

import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.IdentityTable;
import java.util.BitSet;

/** Selects identities. Implementations are values: equal selectors share one cache entry. */
public sealed interface Selector permits LabelSelector, CidrSelector {
  boolean selects(Identity identity);

  /** The slots of every identity in the table this selector selects, as a new bit set. */
  BitSet select(IdentityTable table);
}
