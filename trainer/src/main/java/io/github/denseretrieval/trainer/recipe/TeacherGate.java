package io.github.denseretrieval.trainer.recipe;

import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Whether RocketQA's teacher may denoise hard negatives and label augmentation data. A teacher is
 * only worth listening to if it ranks better than the student it corrects: with {@code auto} its
 * dev nDCG@10 (re-ranking BM25's candidates) must be above the student's (M1 searching the whole
 * corpus). A teacher that is worse would turn its mistakes into labels, as ours did on SciFact.
 * Without dev figures the two cannot be compared, and {@code auto} then skips rather than trusting
 * the teacher blindly. {@code always} and {@code never} decide without figures (ablations).
 *
 * @param useTeacher whether denoising and augmentation run
 * @param reason     the decision in words, starting with {@code used} or {@code skipped}, for stderr and result.json
 */
public record TeacherGate(boolean useTeacher, String reason) {

    /** {@code --denoise}: how the gate decides. */
    public enum Mode {
        ALWAYS, AUTO, NEVER;

        public static Mode fromName(String name) {
            for (Mode m : values()) {
                if (m.name().toLowerCase(Locale.ROOT).equals(name)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("--denoise must be always, auto or never, got [" + name + "]");
        }

        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param teacherDevNdcg the teacher's dev nDCG@10, empty when it was not measured
     * @param studentDevNdcg the student's (M1's) dev nDCG@10 after its training, empty when it was not measured
     */
    public static TeacherGate decide(Mode mode, OptionalDouble teacherDevNdcg, OptionalDouble studentDevNdcg) {
        return switch (mode) {
            case ALWAYS -> new TeacherGate(true, "used: forced by --denoise always" + figures(teacherDevNdcg, studentDevNdcg));
            case NEVER -> new TeacherGate(false, "skipped: --denoise never");
            case AUTO -> {
                if (teacherDevNdcg.isEmpty() || studentDevNdcg.isEmpty()) {
                    yield new TeacherGate(false, "skipped: cannot compare the teacher with the student, no dev nDCG@10 of the "
                        + (teacherDevNdcg.isEmpty() ? "teacher" : "student") + " (no dev split: --dev-fraction 0 or --train-file); "
                        + "--denoise always forces it");
                }
                double teacher = teacherDevNdcg.getAsDouble();
                double student = studentDevNdcg.getAsDouble();
                // A NaN figure compares false and so skips: a teacher is trusted only on evidence.
                yield teacher > student
                    ? new TeacherGate(true, String.format(Locale.ROOT, "used: teacher dev nDCG@10 %.4f > student %.4f", teacher, student))
                    : new TeacherGate(false, String.format(Locale.ROOT, "skipped: teacher dev nDCG@10 %.4f <= student %.4f", teacher, student));
            }
        };
    }

    private static String figures(OptionalDouble teacher, OptionalDouble student) {
        if (teacher.isEmpty() || student.isEmpty()) {
            return "";
        }
        return String.format(Locale.ROOT, " (teacher dev nDCG@10 %.4f, student %.4f)", teacher.getAsDouble(), student.getAsDouble());
    }
}
