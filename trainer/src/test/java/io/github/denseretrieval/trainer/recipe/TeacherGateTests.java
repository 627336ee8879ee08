package io.github.denseretrieval.trainer.recipe;

import org.junit.jupiter.api.Test;

import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When RocketQA's teacher may denoise and label: only when it beats the student on dev, unless forced. */
class TeacherGateTests {

    private static final OptionalDouble NONE = OptionalDouble.empty();

    @Test
    void autoUsesATeacherThatBeatsTheStudentOnDev() {
        TeacherGate gate = TeacherGate.decide(TeacherGate.Mode.AUTO, OptionalDouble.of(0.81), OptionalDouble.of(0.72));
        assertTrue(gate.useTeacher());
        assertEquals("used: teacher dev nDCG@10 0.8100 > student 0.7200", gate.reason());
    }

    @Test
    void autoSkipsATeacherThatIsWorseOrOnlyAsGood() {
        TeacherGate worse = TeacherGate.decide(TeacherGate.Mode.AUTO, OptionalDouble.of(0.54), OptionalDouble.of(0.72));
        assertFalse(worse.useTeacher());
        assertEquals("skipped: teacher dev nDCG@10 0.5400 <= student 0.7200", worse.reason());
        assertFalse(TeacherGate.decide(TeacherGate.Mode.AUTO, OptionalDouble.of(0.72), OptionalDouble.of(0.72)).useTeacher(),
            "a tie is no evidence the teacher helps");
        assertFalse(TeacherGate.decide(TeacherGate.Mode.AUTO, OptionalDouble.of(Double.NaN), OptionalDouble.of(0.72)).useTeacher());
    }

    @Test
    void autoWithoutDevFiguresCannotCompareAndSkips() {
        TeacherGate noDev = TeacherGate.decide(TeacherGate.Mode.AUTO, NONE, NONE);
        assertFalse(noDev.useTeacher());
        assertTrue(noDev.reason().startsWith("skipped: cannot compare"), noDev.reason());
        assertTrue(noDev.reason().contains("--dev-fraction 0") && noDev.reason().contains("--denoise always"), noDev.reason());
        assertFalse(TeacherGate.decide(TeacherGate.Mode.AUTO, OptionalDouble.of(0.9), NONE).useTeacher());
        assertFalse(TeacherGate.decide(TeacherGate.Mode.AUTO, NONE, OptionalDouble.of(0.1)).useTeacher());
    }

    @Test
    void alwaysAndNeverIgnoreTheFigures() {
        TeacherGate forced = TeacherGate.decide(TeacherGate.Mode.ALWAYS, OptionalDouble.of(0.54), OptionalDouble.of(0.72));
        assertTrue(forced.useTeacher());
        assertEquals("used: forced by --denoise always (teacher dev nDCG@10 0.5400, student 0.7200)", forced.reason());
        assertTrue(TeacherGate.decide(TeacherGate.Mode.ALWAYS, NONE, NONE).useTeacher());
        TeacherGate never = TeacherGate.decide(TeacherGate.Mode.NEVER, OptionalDouble.of(0.81), OptionalDouble.of(0.72));
        assertFalse(never.useTeacher());
        assertEquals("skipped: --denoise never", never.reason());
    }

    @Test
    void modesByName() {
        assertEquals(TeacherGate.Mode.AUTO, TeacherGate.Mode.fromName("auto"));
        assertEquals(TeacherGate.Mode.ALWAYS, TeacherGate.Mode.fromName("always"));
        assertEquals(TeacherGate.Mode.NEVER, TeacherGate.Mode.fromName("never"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TeacherGate.Mode.fromName("sometimes"));
        assertTrue(e.getMessage().contains("--denoise") && e.getMessage().contains("sometimes"), e.getMessage());
    }
}
