package io.cfs.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TypedIdTest {
    private static final String RULE = "expected a lowercase letter then up to 31 of [a-z0-9_-]";

    static Stream<Arguments> kinds() {
        return Stream.of(
                Arguments.of("storage system", (Function<String, Object>) StorageId::new),
                Arguments.of("volume", (Function<String, Object>) VolumeId::new),
                Arguments.of("pair", (Function<String, Object>) PairId::new));
    }

    static Stream<Arguments> invalid() {
        String[] bad = {"", "V1", "1v", "_v", "-v", "v 1", "v1 ", " v1", "v.1", "v:1", "vé", "v/1",
                "a" + "b".repeat(32), "v\n"};
        return kinds().flatMap(k -> Stream.of(bad).map(b -> Arguments.of(k.get()[0], k.get()[1], b)));
    }

    @ParameterizedTest(name = "{0} ''{2}''")
    @MethodSource("invalid")
    void invalidIdsAreRejectedWithAClearMessage(String kind, Function<String, Object> make, String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> make.apply(value));
        assertEquals(kind + " id '" + value + "' is invalid: " + RULE, e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void nullIsRejected(String kind, Function<String, Object> make) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> make.apply(null));
        assertTrue(e.getMessage().startsWith(kind + " id 'null' is invalid"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void validIdsAreAcceptedAndPrintAsThemselves(String kind, Function<String, Object> make) {
        for (String ok : new String[] {"a", "ss1", "v-1_x", "z" + "9".repeat(31), "a--__00"}) {
            Object id = make.apply(ok);
            assertEquals(ok, id.toString());
            assertEquals(id, make.apply(ok), "ids compare by value");
            assertNotEquals(id, make.apply(ok.equals("b") ? "c" : "b"));
        }
    }

    @Test
    void volumeAddressParses() {
        VolumeAddress a = VolumeAddress.parse("ss1:v1");
        assertEquals(new StorageId("ss1"), a.storage());
        assertEquals(new VolumeId("v1"), a.volume());
        assertEquals("ss1:v1", a.toString());
        assertEquals(a, new VolumeAddress(new StorageId("ss1"), new VolumeId("v1")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "ss1", "ss1-v1", "ss1/v1"})
    void volumeAddressWithoutAColon(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VolumeAddress.parse(text));
        assertEquals("volume '" + text + "' is invalid: expected STORAGE:VOLUME, e.g. ss1:v1", e.getMessage());
    }

    @Test
    void volumeAddressWithABadPart() {
        assertEquals("storage system id '' is invalid: " + RULE,
                assertThrows(IllegalArgumentException.class, () -> VolumeAddress.parse(":v1")).getMessage());
        assertEquals("volume id '' is invalid: " + RULE,
                assertThrows(IllegalArgumentException.class, () -> VolumeAddress.parse("ss1:")).getMessage());
        assertEquals("volume id 'v1:v2' is invalid: " + RULE,
                assertThrows(IllegalArgumentException.class, () -> VolumeAddress.parse("ss1:v1:v2")).getMessage());
        assertEquals("storage system id 'SS1' is invalid: " + RULE,
                assertThrows(IllegalArgumentException.class, () -> VolumeAddress.parse("SS1:v1")).getMessage());
        assertEquals("volume id 'V 1' is invalid: " + RULE,
                assertThrows(IllegalArgumentException.class, () -> VolumeAddress.parse("ss1:V 1")).getMessage());
    }

    @Test
    void volumeAddressNeedsBothParts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new VolumeAddress(new StorageId("ss1"), null));
        assertEquals("volume address needs a storage system and a volume", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new VolumeAddress(null, new VolumeId("v1")));
    }

    @Test
    void pairMemberIndexIsChecked() {
        PairSpec p = new PairSpec(new PairId("p1"), PairMode.SYNC, VolumeAddress.parse("a:v"),
                java.util.List.of(VolumeAddress.parse("b:v")));
        assertEquals(VolumeAddress.parse("a:v"), p.member(0));
        assertEquals(VolumeAddress.parse("b:v"), p.member(1));
        assertEquals("pair p1 has no member 2: expected 0..1",
                assertThrows(IllegalArgumentException.class, () -> p.member(2)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.member(-1));
    }
}
