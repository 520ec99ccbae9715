package io.hexgate.lab.controllers;

import io.hexgate.contract.net.Ipv4;
import java.util.Set;

/**
 * Picks ClusterIPs from the service range, as the API server's allocator does: never the range's network
 * or broadcast address, never a reserved address (the first, for the {@code kubernetes} Service, and the
 * DNS address), never one in use. It keeps no state of its own: the caller says what is in use (the
 * Services in the API), so a restarted lab allocates from what the API holds.
 */
public final class ClusterIpAllocator {
  private final Ipv4.Cidr range;
  private final Set<Integer> reserved;
  private int next;

  public ClusterIpAllocator(Ipv4.Cidr range, Set<Integer> reserved) {
    if (range.prefixLength() > 30) {
      throw new IllegalArgumentException("service range " + range + ": too small for ClusterIPs");
    }
    this.range = range;
    this.reserved = Set.copyOf(reserved);
    this.next = range.network() + 1;
  }

  public Ipv4.Cidr range() {
    return range;
  }

  public boolean reserved(int address) {
    return reserved.contains(address);
  }

  /** The next free address after the last one handed out, wrapping around; fails when the range is full. */
  public int allocate(Set<Integer> inUse) {
    int first = range.network() + 1;
    int last = range.broadcast() - 1;
    int size = last - first + 1;
    for (int i = 0; i < size; i++) {
      int candidate = first + Math.floorMod(next - first + i, size);
      if (!reserved.contains(candidate) && !inUse.contains(candidate)) {
        next = candidate + 1;
        return candidate;
      }
    }
    throw new IllegalStateException("service range " + range + " is full: no ClusterIP left");
  }
}
