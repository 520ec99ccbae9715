package io.hexgate.operator.identity;

/**
 * Hands out numeric identities for label sets. The engine asks once per new label set and releases the
 * number when no endpoint uses it; where the numbers live (memory, CiliumIdentity objects) is the
 * allocator's business.
 */
public interface IdentityAllocator {
  long allocate(Labels labels);

  void release(long id, Labels labels);

  /** Numbers from 256 upward, reusing released ones; for a single process that owns every number. */
  static IdentityAllocator inMemory() {
    return new InMemoryIdentityAllocator();
  }
}
