package io.hexgate.operator.identity;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every identity the engine knows, each at a dense slot so that selector selections are bit sets, with an
 * index from labels to slots. Selectors evaluate against the index in a few bit operations instead of
 * testing every identity.
 */
public final class IdentityTable {
  private final List<Identity> bySlot = new ArrayList<>();
  private final Map<Long, Integer> slotById = new HashMap<>();
  private final List<Integer> freeSlots = new ArrayList<>();
  private final BitSet live = new BitSet();
  private final BitSet cidrSlots = new BitSet();
  private final Map<String, BitSet> index = new HashMap<>();
  private static final BitSet EMPTY = new BitSet();

  /** Adds an identity and returns its slot. */
  public int add(Identity identity) {
    if (slotById.containsKey(identity.id())) {
      throw new IllegalStateException("identity " + identity.id() + " already present");
    }
    int slot;
    if (freeSlots.isEmpty()) {
      slot = bySlot.size();
      bySlot.add(identity);
    } else {
      slot = freeSlots.remove(freeSlots.size() - 1);
      bySlot.set(slot, identity);
    }
    slotById.put(identity.id(), slot);
    live.set(slot);
    if (identity.isCidr()) {
      cidrSlots.set(slot);
    }
    for (Label l : identity.labels()) {
      for (String k : indexKeys(l)) {
        index.computeIfAbsent(k, x -> new BitSet()).set(slot);
      }
    }
    return slot;
  }

  /** Removes an identity and returns the slot it held. */
  public int remove(long id) {
    Integer slot = slotById.remove(id);
    if (slot == null) {
      throw new IllegalStateException("identity " + id + " not present");
    }
    Identity identity = bySlot.get(slot);
    for (Label l : identity.labels()) {
      for (String k : indexKeys(l)) {
        BitSet b = index.get(k);
        b.clear(slot);
        if (b.isEmpty()) {
          index.remove(k);
        }
      }
    }
    live.clear(slot);
    cidrSlots.clear(slot);
    bySlot.set(slot, null);
    freeSlots.add(slot);
    return slot;
  }

  public Identity get(long id) {
    Integer slot = slotById.get(id);
    return slot == null ? null : bySlot.get(slot);
  }

  public int slotOf(long id) {
    Integer slot = slotById.get(id);
    return slot == null ? -1 : slot;
  }

  public Identity atSlot(int slot) {
    return slot < bySlot.size() ? bySlot.get(slot) : null;
  }

  /** All live slots; callers must not modify the result. */
  public BitSet liveSlots() {
    return live;
  }

  /** Slots of CIDR identities; callers must not modify the result. */
  public BitSet cidrSlots() {
    return cidrSlots;
  }

  /** Slots whose identity has {@code source:key=value}; callers must not modify the result. */
  public BitSet withValue(String source, String key, String value) {
    return index.getOrDefault(source + ":" + key + "=" + value, EMPTY);
  }

  /** Slots whose identity has the key at all; callers must not modify the result. */
  public BitSet withKey(String source, String key) {
    return index.getOrDefault(source + ":" + key, EMPTY);
  }

  public int size() {
    return slotById.size();
  }

  public List<Identity> all() {
    List<Identity> out = new ArrayList<>();
    live.stream().forEach(s -> out.add(bySlot.get(s)));
    return out;
  }

  /** The CIDR identity with exactly this prefix, if any. */
  public Identity cidrIdentity(CidrPrefix prefix) {
    for (int s = cidrSlots.nextSetBit(0); s >= 0; s = cidrSlots.nextSetBit(s + 1)) {
      Identity i = bySlot.get(s);
      if (i.cidr().equals(prefix)) {
        return i;
      }
    }
    return null;
  }

  private static String[] indexKeys(Label l) {
    return new String[] {
      l.sourceKey() + "=" + l.value(),
      l.sourceKey(),
      Label.SOURCE_ANY + ":" + l.key() + "=" + l.value(),
      Label.SOURCE_ANY + ":" + l.key()
    };
  }
}
