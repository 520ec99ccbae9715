package io.hexgate.operator.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalInt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SpelledNumberTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
    "eighty, 80",
    "eight, 8",
    "eighteen, 18",
    "eighty-eight, 88",
    "EightyEight, 88",
    "twenty, 20",
    "seventy-seven, 77",
    "one-hundred, 100",
    "hundred, 100",
    "four-hundred-forty-three, 443",
    "eight-thousand-eighty, 8080",
    "zero, 0",
  })
  void shouldReadNumbersWrittenInWords(String text, int value) {
    assertThat(SpelledNumber.parse(text)).isEqualTo(OptionalInt.of(value));
  }

  @ParameterizedTest
  @ValueSource(strings = {"http", "none", "often", "tentacle", "eighty-", "-eighty", "eighty--eight", "fourty", "80", ""})
  void shouldNotReadOtherNames(String text) {
    assertThat(SpelledNumber.parse(text)).isEmpty();
  }
}
