DROP TABLE group_removals;
