/*
 * @bfio/bioformats-java's optional native pixel path: Bio-Formats' openBytes called through JNI, each decoded
 * plane copied once, straight from the Java byte[] into Node's output (GetByteArrayRegion). The /dev/shm route
 * copies twice (Java heap -> mapping -> output) and node-java's byte[] route twice plus an allocation; on
 * formats that decode at memory speed (uncompressed CZI, DV) those copies are what separates the bridge from
 * plain Java.
 *
 * The JVM is node-java's (JNI_GetCreatedJavaVMs; this addon links the same libjvm). Readers come in through
 * System.getProperties() under a one-time key (node-java puts them there; `take` removes the entry), so no
 * node-java internals are touched.
 *
 * take(key: string) -> handle (an External holding a global ref to the reader and a reused byte[])
 * readSync(handle, nos: Int32Array, x, y, w, h, length, out: Uint8Array): fills out[0 .. nos.length * length)
 *   on the calling (main) thread, which node-java attached when it created the JVM.
 * read(handle, nos, x, y, w, h, length, out) -> Promise<void>: the same on a libuv thread (attached as a
 *   daemon once, and kept attached: libuv's threads live as long as the process).
 * A Java exception becomes a JS Error carrying Throwable.toString() (class and message).
 * One call at a time per handle: the caller (reader-pool.ts) lends each reader to one call.
 */
#include <jni.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  jobject reader;  /* global ref */
  jmethodID open;  /* openBytes(I[BIIII)[B of the reader's class */
  jbyteArray buf;  /* global ref, reused while the block size stays the same */
  jsize length;
} Slot;

typedef struct {
  Slot *slot;
  int32_t *nos;
  size_t count;
  jint x, y, w, h;
  jsize length;
  uint8_t *out;
  napi_ref out_ref;
  napi_ref slot_ref;
  napi_deferred deferred;
  napi_async_work work;
  char *error;
} Job;

static JavaVM *vm;

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static char *copy_string(const char *text) {
  size_t n = strlen(text);
  char *s = malloc(n + 1);
  if (s) memcpy(s, text, n + 1);
  return s;
}

/* The JNIEnv of this thread, attaching it (as a daemon: never holds the JVM up at exit) if needed. */
static JNIEnv *thread_env(void) {
  JNIEnv *env = NULL;
  if (!vm) {
    jsize n = 0;
    if (JNI_GetCreatedJavaVMs(&vm, 1, &n) != JNI_OK || n < 1) {
      vm = NULL;
      return NULL;
    }
  }
  jint got = (*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8);
  if (got == JNI_EDETACHED && (*vm)->AttachCurrentThreadAsDaemon(vm, (void **)&env, NULL) != JNI_OK) return NULL;
  return env;
}

/* The pending Java exception as "class: message" (cleared), malloc'ed. */
static char *describe_exception(JNIEnv *env) {
  jthrowable thrown = (*env)->ExceptionOccurred(env);
  (*env)->ExceptionClear(env);
  char *text = NULL;
  if (thrown) {
    jclass cls = (*env)->GetObjectClass(env, thrown);
    jmethodID to_string = (*env)->GetMethodID(env, cls, "toString", "()Ljava/lang/String;");
    jstring str = to_string ? (jstring)(*env)->CallObjectMethod(env, thrown, to_string) : NULL;
    if ((*env)->ExceptionCheck(env)) (*env)->ExceptionClear(env);
    if (str) {
      const char *chars = (*env)->GetStringUTFChars(env, str, NULL);
      if (chars) {
        text = copy_string(chars);
        (*env)->ReleaseStringUTFChars(env, str, chars);
      }
    }
  }
  return text ? text : copy_string("Java exception (no description)");
}

/* Reads the blocks into out; NULL on success, else a malloc'ed message. Runs on any attached thread. */
static char *read_blocks(JNIEnv *env, Slot *slot, const int32_t *nos, size_t count, jint x, jint y, jint w,
                         jint h, jsize length, uint8_t *out) {
  if ((*env)->PushLocalFrame(env, 16) != 0) return describe_exception(env);
  char *error = NULL;
  if (!slot->buf || slot->length != length) {
    if (slot->buf) (*env)->DeleteGlobalRef(env, slot->buf);
    slot->buf = NULL;
    jbyteArray local = (*env)->NewByteArray(env, length);
    if (!local) {
      error = describe_exception(env);
      goto done;
    }
    slot->buf = (jbyteArray)(*env)->NewGlobalRef(env, local);
    slot->length = length;
  }
  for (size_t i = 0; i < count; i++) {
    jbyteArray got = (jbyteArray)(*env)->CallObjectMethod(env, slot->reader, slot->open, (jint)nos[i], slot->buf,
                                                          x, y, w, h);
    if ((*env)->ExceptionCheck(env)) {
      error = describe_exception(env);
      goto done;
    }
    jsize n = got ? (*env)->GetArrayLength(env, got) : -1;
    if (n < length) {
      char message[160];
      snprintf(message, sizeof message, "Bio-Formats returned %d bytes for a %d-byte block of plane %d", (int)n,
               (int)length, (int)nos[i]);
      error = copy_string(message);
      goto done;
    }
    (*env)->GetByteArrayRegion(env, got, 0, length, (jbyte *)(out + i * (size_t)length));
    if (got != slot->buf) (*env)->DeleteLocalRef(env, got);
  }
done:
  (*env)->PopLocalFrame(env, NULL);
  return error;
}

static void free_slot(napi_env napi, void *data, void *hint) {
  (void)napi;
  (void)hint;
  Slot *slot = data;
  JNIEnv *env = thread_env();
  if (env) {
    (*env)->DeleteGlobalRef(env, slot->reader);
    if (slot->buf) (*env)->DeleteGlobalRef(env, slot->buf);
  }
  free(slot);
}

static napi_value take(napi_env napi, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char key[256];
  size_t key_length;
  if (napi_get_cb_info(napi, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(napi, argv[0], key, sizeof key, &key_length) != napi_ok) {
    return fail(napi, "take(key): a string key expected");
  }
  JNIEnv *env = thread_env();
  if (!env) return fail(napi, "take: no JVM to attach to (start Bio-Formats first)");
  if ((*env)->PushLocalFrame(env, 16) != 0) return fail(napi, "take: out of JNI local references");
  jclass system = (*env)->FindClass(env, "java/lang/System");
  jmethodID props_of = system ? (*env)->GetStaticMethodID(env, system, "getProperties", "()Ljava/util/Properties;") : NULL;
  jobject props = props_of ? (*env)->CallStaticObjectMethod(env, system, props_of) : NULL;
  jclass table = props ? (*env)->GetObjectClass(env, props) : NULL;
  jmethodID remove = table ? (*env)->GetMethodID(env, table, "remove", "(Ljava/lang/Object;)Ljava/lang/Object;") : NULL;
  jstring jkey = (*env)->NewStringUTF(env, key);
  jobject reader = remove && jkey ? (*env)->CallObjectMethod(env, props, remove, jkey) : NULL;
  if ((*env)->ExceptionCheck(env) || !reader) {
    char *message = (*env)->ExceptionCheck(env) ? describe_exception(env) : copy_string("no reader under that key");
    (*env)->PopLocalFrame(env, NULL);
    napi_throw_error(napi, NULL, message);
    free(message);
    return NULL;
  }
  jclass cls = (*env)->GetObjectClass(env, reader);
  jmethodID open = (*env)->GetMethodID(env, cls, "openBytes", "(I[BIIII)[B");
  if (!open) {
    char *message = describe_exception(env);
    (*env)->PopLocalFrame(env, NULL);
    napi_throw_error(napi, NULL, message);
    free(message);
    return NULL;
  }
  Slot *slot = calloc(1, sizeof(Slot));
  slot->reader = (*env)->NewGlobalRef(env, reader);
  slot->open = open;
  (*env)->PopLocalFrame(env, NULL);
  napi_value handle;
  if (napi_create_external(napi, slot, free_slot, NULL, &handle) != napi_ok) {
    free_slot(napi, slot, NULL);
    return fail(napi, "take: could not create the handle");
  }
  return handle;
}

/* Parses (handle, nos, x, y, w, h, length, out) into job; returns 0 after throwing on bad arguments. */
static int parse(napi_env napi, napi_callback_info info, Job *job, napi_value *handle, napi_value *out_value) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(napi, info, &argc, argv, NULL, NULL) != napi_ok || argc < 8) {
    fail(napi, "read(handle, nos, x, y, w, h, length, out): eight arguments expected");
    return 0;
  }
  void *slot = NULL;
  if (napi_get_value_external(napi, argv[0], &slot) != napi_ok || !slot) {
    fail(napi, "read: the first argument is not a handle from take()");
    return 0;
  }
  job->slot = slot;
  napi_typedarray_type type;
  size_t count, offset;
  void *data;
  napi_value buffer;
  if (napi_get_typedarray_info(napi, argv[1], &type, &count, &data, &buffer, &offset) != napi_ok ||
      type != napi_int32_array) {
    fail(napi, "read: nos must be an Int32Array");
    return 0;
  }
  job->count = count;
  job->nos = malloc(count * sizeof(int32_t) + 1);
  memcpy(job->nos, data, count * sizeof(int32_t));
  int32_t length;
  if (napi_get_value_int32(napi, argv[2], &job->x) != napi_ok || napi_get_value_int32(napi, argv[3], &job->y) != napi_ok ||
      napi_get_value_int32(napi, argv[4], &job->w) != napi_ok || napi_get_value_int32(napi, argv[5], &job->h) != napi_ok ||
      napi_get_value_int32(napi, argv[6], &length) != napi_ok || length <= 0) {
    fail(napi, "read: x, y, w, h and a positive length expected");
    return 0;
  }
  job->length = length;
  size_t out_count;
  if (napi_get_typedarray_info(napi, argv[7], &type, &out_count, &data, &buffer, &offset) != napi_ok ||
      type != napi_uint8_array || out_count < count * (size_t)length) {
    fail(napi, "read: out must be a Uint8Array of at least nos.length * length bytes");
    return 0;
  }
  job->out = data;
  *handle = argv[0];
  *out_value = argv[7];
  return 1;
}

static napi_value read_sync(napi_env napi, napi_callback_info info) {
  Job job = {0};
  napi_value handle, out;
  if (!parse(napi, info, &job, &handle, &out)) {
    free(job.nos);
    return NULL;
  }
  JNIEnv *env = thread_env();
  char *error = env ? read_blocks(env, job.slot, job.nos, job.count, job.x, job.y, job.w, job.h, job.length, job.out)
                    : copy_string("no JVM to attach to");
  free(job.nos);
  if (error) {
    napi_throw_error(napi, NULL, error);
    free(error);
  }
  return NULL;
}

static void execute(napi_env napi, void *data) {
  (void)napi;
  Job *job = data;
  JNIEnv *env = thread_env();
  job->error = env ? read_blocks(env, job->slot, job->nos, job->count, job->x, job->y, job->w, job->h, job->length,
                                 job->out)
                   : copy_string("could not attach a libuv thread to the JVM");
}

static void complete(napi_env napi, napi_status status, void *data) {
  Job *job = data;
  if (status == napi_ok && !job->error) {
    napi_value undefined;
    napi_get_undefined(napi, &undefined);
    napi_resolve_deferred(napi, job->deferred, undefined);
  } else {
    napi_value message, error;
    napi_create_string_utf8(napi, job->error ? job->error : "the read was cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_error(napi, NULL, message, &error);
    napi_reject_deferred(napi, job->deferred, error);
  }
  napi_delete_reference(napi, job->out_ref);
  napi_delete_reference(napi, job->slot_ref);
  napi_delete_async_work(napi, job->work);
  free(job->error);
  free(job->nos);
  free(job);
}

static napi_value read_async(napi_env napi, napi_callback_info info) {
  Job *job = calloc(1, sizeof(Job));
  napi_value handle, out, promise, name;
  if (!parse(napi, info, job, &handle, &out)) {
    free(job->nos);
    free(job);
    return NULL;
  }
  /* The output and the handle stay alive until the work completes. */
  napi_create_reference(napi, out, 1, &job->out_ref);
  napi_create_reference(napi, handle, 1, &job->slot_ref);
  napi_create_promise(napi, &job->deferred, &promise);
  napi_create_string_utf8(napi, "bfio-bioformats-read", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(napi, NULL, name, execute, complete, job, &job->work);
  napi_queue_async_work(napi, job->work);
  return promise;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"take", NULL, take, NULL, NULL, NULL, napi_default, NULL},
      {"readSync", NULL, read_sync, NULL, NULL, NULL, napi_default, NULL},
      {"read", NULL, read_async, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
