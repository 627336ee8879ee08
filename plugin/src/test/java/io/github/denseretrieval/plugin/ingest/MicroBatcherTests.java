package io.github.denseretrieval.plugin.ingest;

import org.elasticsearch.ElasticsearchStatusException;
import org.elasticsearch.ExceptionsHelper;
import org.elasticsearch.action.ActionListener;
import org.elasticsearch.common.util.concurrent.DeterministicTaskQueue;
import org.elasticsearch.common.util.concurrent.EsRejectedExecutionException;
import org.elasticsearch.core.TimeValue;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.test.ESTestCase;
import org.elasticsearch.threadpool.Scheduler;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The micro-batcher's promises, on a deterministic task queue: every accepted text is answered
 * exactly once (vector, its own error, 429 or 503), a tail shorter than a group is not stranded
 * when the executor refuses it, and {@code max_queued} bounds texts accepted and not yet answered.
 * The encoder is a stand-in that maps a text to a one-element vector of its length: the batching,
 * not the model, is under test here.
 */
public class MicroBatcherTests extends ESTestCase {

    private static final int BATCH = 2;
    private static final int GROUP = BATCH * MicroBatcher.GROUP_BATCHES;
    private static final TimeValue MAX_WAIT = TimeValue.timeValueMillis(20);

    /** What one text's listener saw; fails the test if answered twice. */
    private static final class Answer implements ActionListener<float[]> {
        final AtomicInteger calls = new AtomicInteger();
        volatile float[] vector;
        volatile Exception failure;

        @Override
        public void onResponse(float[] v) {
            assertEquals("answered twice", 1, calls.incrementAndGet());
            vector = v;
        }

        @Override
        public void onFailure(Exception e) {
            assertEquals("answered twice", 1, calls.incrementAndGet());
            failure = e;
        }

        RestStatus status() {
            return ExceptionsHelper.status(failure);
        }
    }

    /** An executor on the task queue that refuses work while {@link #full} is set, like a full fixed pool. */
    private static final class SwitchableExecutor implements Executor {
        final DeterministicTaskQueue queue;
        volatile boolean full;
        int accepted;

        SwitchableExecutor(DeterministicTaskQueue queue) {
            this.queue = queue;
        }

        @Override
        public void execute(Runnable command) {
            if (full) {
                throw new EsRejectedExecutionException("dense_retrieval_ingest queue is full", false);
            }
            accepted++;
            queue.scheduleNow(command);
        }
    }

    private final DeterministicTaskQueue tasks = new DeterministicTaskQueue();
    private final SwitchableExecutor executor = new SwitchableExecutor(tasks);

    /**
     * Schedules like Elasticsearch's {@code ThreadPool#schedule}: when the delay is up, the command
     * is handed to {@code executor} from the timer thread, and if that executor refuses it the
     * refusal ends inside the timer's future, seen by nobody. A batcher must not rely on a
     * scheduled task that can vanish this way.
     */
    private final Scheduler scheduler = (command, delay, target) -> {
        tasks.scheduleAt(tasks.getCurrentTimeMillis() + delay.millis(), () -> {
            try {
                target.execute(command);
            } catch (EsRejectedExecutionException e) {
                // swallowed, as the ScheduledThreadPoolExecutor's future swallows it
            }
        });
        return null;
    };
    private final List<List<String>> encodedGroups = new ArrayList<>();

    private MicroBatcher batcher(int maxQueued, MicroBatcher.BatchEncoder encoder) {
        return new MicroBatcher("m", encoder, scheduler, executor, BATCH, MAX_WAIT, maxQueued);
    }

    private float[][] lengths(List<String> texts) {
        encodedGroups.add(List.copyOf(texts));
        float[][] out = new float[texts.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new float[] { texts.get(i).length() };
        }
        return out;
    }

    private List<Answer> submit(MicroBatcher b, int n, String prefix) {
        List<Answer> answers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Answer a = new Answer();
            b.encodePassage(prefix + "x".repeat(i + 1), a);
            answers.add(a);
        }
        return answers;
    }

    public void testAFullGroupGoesOutAtOnceAndATailAfterMaxWait() {
        MicroBatcher b = batcher(1000, this::lengths);
        List<Answer> answers = submit(b, GROUP + 3, "");
        tasks.runAllRunnableTasks();
        assertEquals("the full group is encoded without waiting", 1, encodedGroups.size());
        assertEquals(GROUP, encodedGroups.get(0).size());
        assertEquals(3, answers.stream().filter(a -> a.calls.get() == 0).count());
        tasks.runAllTasks();
        assertEquals(2, encodedGroups.size());
        assertEquals(3, encodedGroups.get(1).size());
        assertTrue("the tail waited for max_wait", tasks.getCurrentTimeMillis() >= MAX_WAIT.millis());
        for (int i = 0; i < answers.size(); i++) {
            assertNull(answers.get(i).failure);
            assertEquals(i + 1, answers.get(i).vector[0], 0f);
        }
        assertEquals(0, b.unanswered());
    }

    public void testATailRefusedByAFullExecutorIsAnsweredNotStranded() {
        MicroBatcher b = batcher(1000, this::lengths);
        List<Answer> tail = submit(b, 3, "");
        executor.full = true;
        tasks.runAllTasks();
        for (Answer a : tail) {
            assertEquals(1, a.calls.get());
            assertEquals(RestStatus.TOO_MANY_REQUESTS, a.status());
        }
        assertEquals(0, b.unanswered());
        // The flush timer is free again: the next tail goes out once the pool has room.
        executor.full = false;
        List<Answer> next = submit(b, 2, "");
        tasks.runAllTasks();
        next.forEach(a -> assertNotNull(a.vector));
    }

    public void testMaxQueuedCountsAcceptedTextsNotYetAnswered() {
        int maxQueued = GROUP * 2;
        MicroBatcher b = batcher(maxQueued, this::lengths);
        // Two full groups leave the batcher's own queue at once, but are not encoded yet: they still count.
        List<Answer> accepted = submit(b, maxQueued, "");
        assertEquals(maxQueued, b.unanswered());
        Answer refused = new Answer();
        b.encodePassage("one too many", refused);
        assertEquals(1, refused.calls.get());
        assertEquals(RestStatus.TOO_MANY_REQUESTS, refused.status());
        assertTrue(refused.failure.getMessage(), refused.failure.getMessage().contains("dense_retrieval.ingest.max_queued"));
        tasks.runAllTasks();
        accepted.forEach(a -> assertNotNull(a.vector));
        assertEquals(0, b.unanswered());
        Answer later = new Answer();
        b.encodePassage("room again", later);
        tasks.runAllTasks();
        assertNotNull(later.vector);
    }

    public void testOneBadTextFailsAloneAndItsNeighboursAreEncoded() {
        MicroBatcher b = batcher(1000, texts -> {
            if (texts.contains("poison")) {
                throw new IllegalArgumentException("cannot encode [poison]");
            }
            return lengths(texts);
        });
        List<Answer> before = submit(b, 2, "");
        Answer poison = new Answer();
        b.encodePassage("poison", poison);
        List<Answer> after = submit(b, 2, "y");
        tasks.runAllTasks();
        assertTrue(poison.failure instanceof IllegalArgumentException);
        before.forEach(a -> assertNotNull(a.vector));
        after.forEach(a -> assertNotNull(a.vector));
    }

    public void testAModelLevelErrorFailsTheGroupOnceWithItsStatus() {
        AtomicInteger calls = new AtomicInteger();
        MicroBatcher b = batcher(1000, texts -> {
            calls.incrementAndGet();
            throw new ElasticsearchStatusException("model [m] is being reloaded; retry", RestStatus.SERVICE_UNAVAILABLE);
        });
        List<Answer> answers = submit(b, 5, "");
        tasks.runAllTasks();
        assertEquals("no per-text retry for an error no text can escape", 1, calls.get());
        answers.forEach(a -> assertEquals(RestStatus.SERVICE_UNAVAILABLE, a.status()));
    }

    public void testCloseAnswersWaitingTextsWithA503AndRefusesNewOnes() {
        MicroBatcher b = batcher(1000, this::lengths);
        List<Answer> waiting = submit(b, 3, "");
        b.close();
        waiting.forEach(a -> assertEquals(RestStatus.SERVICE_UNAVAILABLE, a.status()));
        Answer late = new Answer();
        b.encodePassage("late", late);
        assertEquals(RestStatus.SERVICE_UNAVAILABLE, late.status());
        tasks.runAllTasks();
        waiting.forEach(a -> assertEquals(1, a.calls.get()));
        assertEquals(0, b.unanswered());
        assertTrue(encodedGroups.isEmpty());
    }

    public void testCloseAnswersGroupsHandedToTheExecutorButNotStartedWithA503() {
        MicroBatcher b = batcher(1000, this::lengths);
        // Three full groups go to the executor at once; one of them starts before the node stops.
        List<Answer> answers = submit(b, 3 * GROUP, "");
        tasks.runRandomTask();
        b.close();
        tasks.runAllTasks();
        assertEquals(1, encodedGroups.size());
        List<String> started = encodedGroups.get(0);
        for (int i = 0; i < answers.size(); i++) {
            Answer a = answers.get(i);
            assertEquals(1, a.calls.get());
            if (started.contains("x".repeat(i + 1))) {
                assertNotNull("the group that started before the stop is encoded", a.vector);
            } else {
                assertEquals(RestStatus.SERVICE_UNAVAILABLE, a.status());
            }
        }
        assertEquals(0, b.unanswered());
    }

    public void testEveryTextIsAnsweredExactlyOnceUnderRandomInterleavings() {
        int maxQueued = randomIntBetween(1, 3 * GROUP);
        MicroBatcher b = batcher(maxQueued, texts -> {
            if (randomInt(9) == 0) {
                throw new IllegalStateException("random engine failure");
            }
            return lengths(texts);
        });
        List<Answer> answers = new ArrayList<>();
        for (int round = 0; round < 50; round++) {
            answers.addAll(submit(b, randomIntBetween(0, GROUP + 2), "r" + round));
            executor.full = randomInt(4) == 0;
            if (randomBoolean()) {
                tasks.runAllRunnableTasks();
            }
            if (randomBoolean() && tasks.hasDeferredTasks()) {
                tasks.advanceTime();
            }
        }
        executor.full = false;
        tasks.runAllTasks();
        for (Answer a : answers) {
            assertEquals(1, a.calls.get());
            assertTrue(a.vector != null ^ a.failure != null);
        }
        assertEquals(0, b.unanswered());
    }
}
