/**
 * The NestJS example's e2e spec, run with this package's tests. The spec lives beside the
 * example, where a Nest user looks for it and written the way they write theirs
 * (Test.createTestingModule, supertest); the root jest config makes projects of packages/*
 * only, so it is loaded from here, against the example's source and this package's source.
 */
import '../../../examples/nestjs/test/support-desk.e2e-spec';
