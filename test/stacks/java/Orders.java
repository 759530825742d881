// Fails as a request handler would, and prints the exception's text as opentelemetry-java records
// it: its StackTraceRenderer (sdk/common) writes what Throwable.printStackTrace writes.
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

public class Orders {
  static final Map<String, Integer> PRICES = Map.of("WINTER", 10);

  static int priceOf(String item) {
    Integer price = PRICES.get(item);
    if (price == null) throw new NoSuchElementException("no price for " + item); // raises: NoSuchElementException
    return price;
  }

  static final class Ledger implements AutoCloseable {
    @Override
    public void close() {
      throw new IllegalStateException("ledger left open"); // raises: IllegalStateException
    }
  }

  static int total(List<String> items) {
    // The JDK's forEach calls back into priceOf: its frames are the runtime's.
    try (Ledger ledger = new Ledger()) {
      int[] sum = {0};
      items.forEach(item -> sum[0] += priceOf(item));
      return sum[0];
    } catch (NoSuchElementException e) {
      throw new IllegalArgumentException("cannot total the order", e); // raises: IllegalArgumentException
    }
  }

  static void handle() {
    try {
      total(List.of("WINTER", "SPRING"));
    } catch (IllegalArgumentException e) {
      throw new RuntimeException("order 7 failed", e); // raises: RuntimeException
    }
  }

  public static void main(String[] args) {
    try {
      handle();
    } catch (RuntimeException e) {
      StringWriter text = new StringWriter();
      e.printStackTrace(new PrintWriter(text));
      System.out.print(text);
    }
  }
}
