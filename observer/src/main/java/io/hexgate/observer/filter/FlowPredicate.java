package io.hexgate.observer.filter;

import io.hexgate.contract.hubble.flow.Flow;
import java.util.function.Predicate;

/** Which flows a client asked for: a compiled whitelist and blacklist of Hubble FlowFilters. */
@FunctionalInterface
public interface FlowPredicate extends Predicate<Flow> {
  FlowPredicate ALL = f -> true;
}
