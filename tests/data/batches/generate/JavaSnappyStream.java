// Writes stdin to stdout through snappy-java's SnappyOutputStream, as Kafka's Java client frames snappy.
import java.io.IOException;
import org.xerial.snappy.SnappyOutputStream;

public class JavaSnappyStream {
    public static void main(String[] args) throws IOException {
        try (SnappyOutputStream out = new SnappyOutputStream(System.out)) {
            System.in.transferTo(out);
        }
    }
}
