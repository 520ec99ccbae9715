package io.hexgate.observer.filter;

import io.hexgate.contract.hubble.flow.FlowFilter;
import java.util.List;

/** Hubble's FlowFilter semantics. */
public final class FlowFilters {
  private FlowFilters() {}

  /** (whitelist empty OR any whitelist filter matches) AND no blacklist filter matches. */
  public static FlowPredicate compile(List<FlowFilter> whitelist, List<FlowFilter> blacklist) {
    if (whitelist.isEmpty() && blacklist.isEmpty()) {
      return FlowPredicate.ALL;
    }
    throw new UnsupportedOperationException("placeholder until FlowFilters lands");
  }

  /** One filter's own predicate. */
  public static FlowPredicate compile(FlowFilter filter) {
    throw new UnsupportedOperationException("placeholder until FlowFilters lands");
  }
}
