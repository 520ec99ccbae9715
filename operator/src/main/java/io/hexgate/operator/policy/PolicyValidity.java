package io.hexgate.operator.policy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The validation result of every policy object the operator has seen, for the status writer: valid or the
 * list of field errors, the generation checked, and the generation the engine enforces (an invalid update
 * leaves the last good version enforced, as Cilium does). Thread-safe.
 */
public final class PolicyValidity {

  /**
   * @param observedGeneration the generation validated (null when the object has none)
   * @param errors empty when valid
   * @param enforcedGeneration the generation whose rules the engine holds, or null when none ever was
   *     valid
   * @param notEnforced what the enforced generation uses that Hexgate does not enforce (field path and
   *     what happens instead, {@link CompiledRule#notEnforced}); empty when it enforces every field
   */
  public record Result(Long observedGeneration, List<FieldError> errors, Long enforcedGeneration, List<String> notEnforced) {
    public Result {
      errors = List.copyOf(errors);
      notEnforced = List.copyOf(notEnforced);
    }

    public Result(Long observedGeneration, List<FieldError> errors, Long enforcedGeneration) {
      this(observedGeneration, errors, enforcedGeneration, List.of());
    }

    public boolean valid() {
      return errors.isEmpty();
    }
  }

  private final Map<PolicyRef, Result> results = new ConcurrentHashMap<>();
  private final List<Consumer<PolicyRef>> listeners = new CopyOnWriteArrayList<>();

  /** Records a validation; {@code enforced} says whether these rules went to the engine. */
  public Result record(PolicyRef ref, Long generation, List<FieldError> errors) {
    return record(ref, generation, errors, null);
  }

  /**
   * Records a validation with the notes of the rules the engine now holds; {@code notEnforced} null (or
   * an invalid generation, which the engine never got) keeps those of the generation still enforced.
   */
  public Result record(PolicyRef ref, Long generation, List<FieldError> errors, List<String> notEnforced) {
    Result next =
        results.compute(
            ref,
            (k, previous) -> {
              Long enforced = errors.isEmpty() ? generation : previous == null ? null : previous.enforcedGeneration();
              List<String> notes =
                  errors.isEmpty() && notEnforced != null
                      ? notEnforced
                      : previous == null ? List.of() : previous.notEnforced();
              return new Result(generation, errors, enforced, notes);
            });
    listeners.forEach(l -> l.accept(ref));
    return next;
  }

  public void remove(PolicyRef ref) {
    if (results.remove(ref) != null) {
      listeners.forEach(l -> l.accept(ref));
    }
  }

  public Optional<Result> get(PolicyRef ref) {
    return Optional.ofNullable(results.get(ref));
  }

  /** A sorted copy of every result. */
  public Map<PolicyRef, Result> all() {
    return new TreeMap<>(results);
  }

  /** Called with the policy after each change of its result (or its removal), on the recording thread. */
  public void addListener(Consumer<PolicyRef> listener) {
    listeners.add(listener);
  }
}
