DROP TABLE media_trash;
