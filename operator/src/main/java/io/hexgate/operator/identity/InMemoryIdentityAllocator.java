package io.hexgate.operator.identity;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

final class InMemoryIdentityAllocator implements IdentityAllocator {
  private final Map<Labels, Long> byLabels = new HashMap<>();
  private final TreeSet<Long> released = new TreeSet<>();
  private long next = ReservedIdentity.FIRST_CLUSTER_ID;

  @Override
  public long allocate(Labels labels) {
    Long existing = byLabels.get(labels);
    if (existing != null) {
      return existing;
    }
    long id;
    if (!released.isEmpty()) {
      id = released.pollFirst();
    } else if (next <= ReservedIdentity.LAST_CLUSTER_ID) {
      id = next++;
    } else {
      throw new IllegalStateException("cluster identity space (256-65535) exhausted");
    }
    byLabels.put(labels, id);
    return id;
  }

  @Override
  public void release(long id, Labels labels) {
    if (byLabels.remove(labels, id)) {
      released.add(id);
    }
  }
}
