package io.hexgate.observer.filter;

import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.FlowFilter;
import java.util.List;

/**
 * Hubble's FlowFilter semantics. Within one filter every set field must match and any value of a field
 * may; a whitelist matches when any of its filters does (or it is empty), a blacklist excludes what any
 * of its filters matches. Filters are compiled once — patterns, CIDRs and selectors parsed up front — so
 * that testing a flow allocates nothing in the common case.
 */
public final class FlowFilters {
  private FlowFilters() {}

  /**
   * (whitelist empty OR any whitelist filter matches) AND no blacklist filter matches.
   *
   * @throws InvalidFilterException naming every bad field and value, e.g. {@code whitelist[0].source_ip}
   */
  public static FlowPredicate compile(List<FlowFilter> whitelist, List<FlowFilter> blacklist) {
    return compile("whitelist", whitelist, "blacklist", blacklist);
  }

  /** As {@link #compile(List, List)}, with errors naming the lists as the caller's user knows them (an exporter's allowlist, say). */
  public static FlowPredicate compile(String whitelistName, List<FlowFilter> whitelist,
      String blacklistName, List<FlowFilter> blacklist) {
    FilterErrors errors = new FilterErrors();
    FlowPredicate[] allow = compileEach(whitelistName, whitelist, errors);
    FlowPredicate[] deny = compileEach(blacklistName, blacklist, errors);
    errors.throwIfAny();
    if (allow.length == 0 && deny.length == 0) {
      return FlowPredicate.ALL;
    }
    return flow -> (allow.length == 0 || anyMatches(allow, flow)) && !anyMatches(deny, flow);
  }

  /**
   * One filter's own predicate.
   *
   * @throws InvalidFilterException naming every bad field and value
   */
  public static FlowPredicate compile(FlowFilter filter) {
    FilterErrors errors = new FilterErrors();
    FlowPredicate predicate = FlowFilterCompiler.compile(filter, "", errors);
    errors.throwIfAny();
    return predicate;
  }

  private static FlowPredicate[] compileEach(String name, List<FlowFilter> filters, FilterErrors errors) {
    FlowPredicate[] compiled = new FlowPredicate[filters.size()];
    for (int i = 0; i < compiled.length; i++) {
      compiled[i] = FlowFilterCompiler.compile(filters.get(i), name + "[" + i + "]", errors);
    }
    return compiled;
  }

  private static boolean anyMatches(FlowPredicate[] predicates, Flow flow) {
    for (FlowPredicate p : predicates) {
      if (p.test(flow)) {
        return true;
      }
    }
    return false;
  }
}
